"""The WSGI and ASGI entry points freeze what start-up loaded out of the garbage collector's
full passes (each pass over it would stall a request by tens of milliseconds)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["saas.wsgi", "saas.asgi"])
def test_entry_point_builds_the_app_and_freezes_start_up_objects(module: str) -> None:
    import gc

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        loaded = importlib.reload(importlib.import_module(module))
        assert callable(loaded.application)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
