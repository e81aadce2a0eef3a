"""Which periodic per-company work each billing state gets: the beat entries run in public,
and what they publish to the broker (Redis) is read from Celery's publish signal.

The expected table is written out here on purpose (not read from WORK_BY_BILLING_STATE), so
a change to the table in code must be a deliberate change here too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import before_task_publish

from saas.celery import app
from shared_apps.tenants.dispatch import WORK_BY_BILLING_STATE
from shared_apps.tenants.models import Company
from tenant_apps.crm.tasks import deleted_records_purge_all, task_reminders_all
from tenant_apps.history.tasks import audit_prune_all

State = Company.BillingState
REMINDERS = "crm.task_reminders"
BIN_PURGE = "crm.deleted_records_purge"
AUDIT_PRUNE = "history.audit_prune"

EXPECTED: dict[str, set[str]] = {
    State.TRIALING: {REMINDERS, BIN_PURGE, AUDIT_PRUNE},
    State.ACTIVE: {REMINDERS, BIN_PURGE, AUDIT_PRUNE},
    State.PAST_DUE: {REMINDERS, BIN_PURGE, AUDIT_PRUNE},
    State.READ_ONLY: {REMINDERS, BIN_PURGE, AUDIT_PRUNE},
    State.SUSPENDED: {BIN_PURGE, AUDIT_PRUNE},
    State.CANCELED: {BIN_PURGE, AUDIT_PRUNE},
}


@pytest.fixture
def published() -> Iterator[list[tuple[str, str]]]:
    """(task name, schema) of every task published meanwhile; the queue emptied after."""
    sent: list[tuple[str, str]] = []

    def remember(sender: object = None, headers: dict[str, Any] | None = None, **_: Any) -> None:
        headers = headers or {}
        sent.append((str(headers.get("task")), str(headers.get("_schema_name"))))

    before_task_publish.connect(remember, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(remember)
        app.control.purge()  # no worker reads this test's broker database


def run_every_beat_entry() -> None:
    task_reminders_all()
    deleted_records_purge_all()
    audit_prune_all()


def test_the_expected_table_covers_every_state() -> None:
    assert set(EXPECTED) == set(State.values) == set(WORK_BY_BILLING_STATE)


@pytest.mark.django_db
@pytest.mark.parametrize("billing_state", State.values)
def test_each_billing_state_gets_its_periodic_work(
    billing_state: str, alpha: Company, beta: Company, published: list[tuple[str, str]]
) -> None:
    # given: alpha in the state, beta active
    Company.objects.filter(pk=alpha.pk).update(billing_state=billing_state)
    Company.objects.filter(pk=beta.pk).update(billing_state=State.ACTIVE)
    # when
    run_every_beat_entry()
    # then
    assert {task for task, schema in published if schema == "alpha"} == EXPECTED[billing_state]
    assert {task for task, schema in published if schema == "beta"} == EXPECTED[State.ACTIVE]


@pytest.mark.django_db
def test_a_disabled_company_gets_nothing(alpha: Company, published: list[tuple[str, str]]) -> None:
    Company.objects.filter(pk=alpha.pk).update(status=Company.Status.DISABLED)
    run_every_beat_entry()
    assert [task for task, schema in published if schema == "alpha"] == []


@pytest.mark.django_db
def test_the_fan_out_costs_one_query_whatever_the_number_of_companies(
    alpha: Company,
    beta: Company,
    published: list[tuple[str, str]],
    django_assert_num_queries: Any,
) -> None:
    Company.objects.filter(pk=alpha.pk).update(billing_state=State.CANCELED)
    with django_assert_num_queries(1):
        task_reminders_all()
    assert ("crm.task_reminders", "beta") in published
