"""Celery helpers for company-schema work.

Tasks carry the schema they were enqueued from (tenant-schemas-celery adds a `_schema_name`
header and switches the worker's connection before running). A `CompanyTask` must run in a
company: enqueued from the public schema it is refused at once, and a worker that receives
one without a company fails it instead of touching public data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from celery import Task
from django.conf import settings
from django_tenants.utils import schema_context
from tenant_schemas_celery.task import TenantTask

from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company

logger = logging.getLogger(__name__)

# Default for tasks that talk to other servers (SMTP, Stripe, Gemini, S3): retry transient
# failures with exponential backoff and jitter, at most ten minutes apart.
IO_RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": (ConnectionError, TimeoutError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


def io_task(*args: Any, **options: Any) -> Any:
    """`@io_task(base=CompanyTask, name=...)`: a Celery task with IO_RETRY_OPTIONS as defaults.

    Use it for every task that talks to another server; options given here win.
    """
    from saas.celery import app

    return app.task(*args, **{**IO_RETRY_OPTIONS, **options})


class NoCompanyContext(RuntimeError):
    """A company task was enqueued or received outside any company's schema."""


def _in_public() -> bool:
    return connection.schema_name in (settings.PUBLIC_SCHEMA_NAME, None)


class CompanyTask(TenantTask):
    abstract = True

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        headers = options.get("headers") or {}
        schema = headers.get("_schema_name", connection.schema_name)
        if schema in (settings.PUBLIC_SCHEMA_NAME, None):
            raise NoCompanyContext(
                f"{self.name} must be enqueued inside a company's schema, not public."
            )
        return super().apply_async(args, kwargs, **options)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _in_public():
            raise NoCompanyContext(f"{self.name} received without a company; refusing to run.")
        return super().__call__(*args, **kwargs)


class Work(StrEnum):
    """Periodic per-company work, one beat entry each (the dispatcher enqueues one task per
    company whose billing state has it in WORK_BY_BILLING_STATE)."""

    TASK_REMINDERS = "task_reminders"  # crm.task_reminders_all: due-task emails to members
    DELETED_RECORDS_PURGE = "deleted_records_purge"  # crm.deleted_records_purge_all: the bin
    AUDIT_PRUNE = "audit_prune"  # history.audit_prune_all: audit rows past their retention


_State = Company.BillingState
_EVERYTHING = frozenset(Work)
_REMOVALS = frozenset({Work.DELETED_RECORDS_PURGE, Work.AUDIT_PRUNE})

# The one table of which periodic work each billing state gets. The rule: work that serves
# members (emails pointing at pages) runs only while members can use the company; work that
# keeps a promise to remove data (the bin's 30 days, the audit retention) runs in every state
# until billing.canceled_purge deletes the whole company. docs/architecture.md shows it.
WORK_BY_BILLING_STATE: Mapping[str, frozenset[Work]] = {
    _State.TRIALING: _EVERYTHING,
    _State.ACTIVE: _EVERYTHING,
    _State.PAST_DUE: _EVERYTHING,
    _State.READ_ONLY: _EVERYTHING,  # members still read their tasks
    _State.SUSPENDED: _REMOVALS,  # nobody can sign in: no reminders
    _State.CANCELED: _REMOVALS,  # kept for the final export, then deleted by billing
}


def billing_states_for(work: Work) -> list[str]:
    return [state for state, works in WORK_BY_BILLING_STATE.items() if work in works]


def for_each_company(
    task: Task,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    work: Work,
    **options: Any,
) -> int:
    """Enqueue `task` once per active company whose billing state gets `work`, each in that
    company's schema.

    Meant to be the body of a periodic task that runs in public: the fan-out costs one
    query, and each company's work then succeeds, fails and retries on its own.
    """
    count = 0
    companies = Company.objects.filter(
        status=Company.Status.ACTIVE, billing_state__in=billing_states_for(work)
    ).only("schema_name")
    for company in companies.iterator():
        with schema_context(company.schema_name):
            task.apply_async(args, kwargs or {}, **options)
        count += 1
    logger.info("dispatched %s to %d companies", task.name, count)
    return count
