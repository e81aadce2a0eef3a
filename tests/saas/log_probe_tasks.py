"""A task the test worker loads with `--include`: it writes one log line."""

from __future__ import annotations

import logging

from saas.celery import app


@app.task(name="tests.saas.worker_log_probe")
def worker_log_probe(marker: str) -> str:
    logging.getLogger("saas.probe").info("worker probe %s", marker)
    return marker
