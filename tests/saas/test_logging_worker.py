"""A real Celery worker writes JSON lines with the context of the request that enqueued
the task (its id and user), the task id and name, and the company."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory
from django_tenants.utils import schema_context

from saas.logs import context
from shared_apps.tenants.models import Company
from tests.processes import ROOT, child_env, stop_process
from tests.saas.log_probe_tasks import worker_log_probe

QUEUE = f"test-logs-{uuid.uuid4().hex[:8]}"
TIMEOUT = 60


@pytest.fixture(scope="module")
def worker_output(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[Path]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        env = child_env(LOG_FORMAT="json", LOG_LEVEL="INFO")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "worker.log"
        with output.open("w") as sink:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "saas", "worker", "--pool=solo",
                    "--queues", QUEUE, "--include", "tests.saas.log_probe_tasks",
                    "--without-heartbeat", "--without-gossip", "--without-mingle",
                ],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                yield output
            finally:
                stop_process(process)


def _wait_for_line(output: Path, marker: str) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for text in output.read_text().splitlines():
            if marker in text:
                line: dict[str, Any] = json.loads(text)
                return line
        time.sleep(0.2)
    raise AssertionError(f"no worker line with {marker}:\n{output.read_text()[-3000:]}")


@pytest.mark.slow
@pytest.mark.django_db
def test_worker_lines_carry_the_request_and_task_context(
    worker_output: Path, alpha: Company
) -> None:
    marker = uuid.uuid4().hex
    request = RequestFactory().get("/")
    request.tenant = alpha  # type: ignore[attr-defined]
    tokens = context.bind_request(request, "worker-request-0001")
    try:
        with schema_context(alpha.schema_name):
            result = worker_log_probe.apply_async([marker], queue=QUEUE)
    finally:
        context.unbind(tokens)
    line = _wait_for_line(worker_output, f"worker probe {marker}")
    assert line["logger"] == "saas.probe"
    assert line["request_id"] == "worker-request-0001"
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.saas.worker_log_probe"
    assert line["company"] == "alpha"
    # Celery's own lines are JSON too (the worker kept the LOGGING setting)
    received = _wait_for_line(worker_output, f"{result.id}] received")
    assert received["logger"] == "celery.worker.strategy"
