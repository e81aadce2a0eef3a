"""The `make run` supervisor's signal handling (the whole run is exercised by .ci/run's smoke
test: start, serve, stop on SIGINT and on SIGTERM, nothing left behind)."""

from __future__ import annotations

import signal

import pytest

from saas.dev import runner


def test_only_the_first_signal_stops_a_second_does_not_interrupt_the_cleanup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SIGTERM to the process group reaches the runner twice: directly, and forwarded by make.
    monkeypatch.setattr(runner, "_stopping", [])
    with pytest.raises(runner.Stop, match="SIGTERM"):
        runner._on_signal(signal.SIGTERM, None)
    runner._on_signal(signal.SIGTERM, None)  # ignored: the cleanup goes on
    runner._on_signal(signal.SIGINT, None)
