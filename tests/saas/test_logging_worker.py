"""A real Celery worker writes JSON lines with the context of the request that enqueued
the task (its id and user), the task id and name, and the company."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory
from django_tenants.utils import schema_context

from saas.logs import context
from shared_apps.tenants.models import Company
from tests.processes import background_process, child_env, log_contains, wait_until
from tests.saas.log_probe_tasks import worker_log_probe

QUEUE = f"test-logs-{uuid.uuid4().hex[:8]}"
TIMEOUT = 60


@pytest.fixture(scope="module")
def worker_output(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[Path]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        env = child_env(LOG_FORMAT="json", LOG_LEVEL="INFO")
    with background_process(
        "celery worker (logging)",
        [
            sys.executable, "-m", "celery", "-A", "saas", "worker", "--pool=solo",
            "--queues", QUEUE, "--include", "tests.saas.log_probe_tasks",
            "--without-heartbeat", "--without-gossip", "--without-mingle",
        ],
        env=env,
        ready=log_contains(" ready."),
    ) as worker:  # fmt: skip
        yield worker.log_path


def _wait_for_line(output: Path, marker: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def seen() -> bool:
        complete = output.read_text().split("\n")[:-1]  # the last may be half-written
        found.extend(json.loads(text) for text in complete if marker in text)
        return bool(found)

    wait_until(seen, what=f"a worker line with {marker}", timeout=TIMEOUT)
    return found[0]


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
