from __future__ import annotations

from typing import Any

import pytest

from shared_apps.notifications.tasks import send_email


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Run each enqueued send in-process, as a worker would; remember what was enqueued."""
    calls: list[dict[str, Any]] = []

    def run(**kwargs: Any) -> None:
        calls.append(kwargs)
        send_email.apply(kwargs=kwargs)

    monkeypatch.setattr(send_email, "delay", run)
    return calls
