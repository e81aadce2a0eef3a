"""Tasks run in the schema they were enqueued from, proven with a real worker and Redis."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from saas.celery import app
from shared_apps.tenants.dispatch import (
    NoCompanyContext,
    Work,
    billing_states_for,
    for_each_company,
)
from shared_apps.tenants.models import Company
from tenant_apps.history.models import AuditEvent
from tests.processes import background_process, child_env, log_contains, wait_until
from tests.shared_apps.tenants.celery_probe import probe_schema

QUEUE = f"test-{uuid.uuid4().hex[:8]}"
TIMEOUT = 60


@pytest.fixture(scope="module")
def worker(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        env = child_env(LOG_LEVEL="INFO")  # INFO: the worker says when it is ready
    with background_process(
        "celery worker (dispatch)",
        [
            sys.executable, "-m", "celery", "-A", "saas", "worker", "--pool=solo",
            "--queues", QUEUE, "--include", "tests.shared_apps.tenants.celery_probe",
            "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ],
        env=env,
        ready=log_contains(" ready."),
    ):  # fmt: skip
        yield


def _rows(schema: str, marker: str) -> int:
    with schema_context(schema):
        return AuditEvent.objects.filter(action="probe", object_id=marker).count()


@pytest.mark.slow
@pytest.mark.django_db
class TestTasksRunInTheirCompany:
    def test_task_enqueued_in_a_company_runs_in_its_schema(
        self, worker: None, alpha: Company, beta: Company
    ) -> None:
        marker = uuid.uuid4().hex
        with schema_context(alpha.schema_name):
            result = probe_schema.apply_async([marker], queue=QUEUE)
        assert result.get(timeout=TIMEOUT) == {"schema": "alpha", "rows": 1}
        assert _rows("alpha", marker) == 1
        assert _rows("beta", marker) == 0

        with schema_context(beta.schema_name):
            result = probe_schema.apply_async([marker], queue=QUEUE)
        assert result.get(timeout=TIMEOUT) == {"schema": "beta", "rows": 1}

    def test_enqueue_from_public_is_refused_at_once(self) -> None:
        with pytest.raises(NoCompanyContext, match="must be enqueued inside a company"):
            probe_schema.apply_async(["x"], queue=QUEUE)

    def test_worker_refuses_a_company_task_without_a_company(self, worker: None) -> None:
        # Bypass the enqueue guard, as a message from an older release or a raw send would.
        marker = uuid.uuid4().hex
        result = app.send_task("tests.probe_schema", [marker], queue=QUEUE)
        result.get(timeout=TIMEOUT, propagate=False)
        assert result.state == "FAILURE"
        assert "NoCompanyContext" in (result.traceback or "")
        assert _rows("alpha", marker) == 0
        assert _rows("beta", marker) == 0

    def test_dispatcher_enqueues_one_task_per_company(
        self, worker: None, alpha: Company, beta: Company
    ) -> None:
        marker = uuid.uuid4().hex
        sent: list[str] = []

        def remember(sender: object = None, headers: dict | None = None, **kwargs: object) -> None:
            sent.append((headers or {}).get("_schema_name", "?"))

        from celery.signals import before_task_publish

        before_task_publish.connect(remember)
        try:
            count = for_each_company(
                probe_schema, args=(marker,), work=Work.TASK_REMINDERS, queue=QUEUE
            )
        finally:
            before_task_publish.disconnect(remember)
        served = Company.objects.filter(
            status="active", billing_state__in=billing_states_for(Work.TASK_REMINDERS)
        )
        assert count == served.count() >= 2
        assert sorted(sent) == sorted(served.values_list("schema_name", flat=True))
        # the worker commits in each schema; wait for both of ours
        wait_until(
            lambda: _rows("alpha", marker) == 1 and _rows("beta", marker) == 1,
            what="both tasks done",
            timeout=TIMEOUT,
        )
        assert (_rows("alpha", marker), _rows("beta", marker)) == (1, 1)
