"""Time moves companies on: trial over, past-due grace over, read-only period over.

Every test passes an explicit `now`; nothing depends on the wall clock's date."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing import services
from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.selectors import (
    DueMove,
    billing_due_moves,
    billing_retention_expired,
)
from shared_apps.billing.services import billing_grace_advance, billing_state_move
from shared_apps.billing.tasks import grace_advance
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.factories import put_in_state

S = Company.BillingState
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _due_for(company: Company, now: datetime) -> list[tuple[str, str]]:
    return [(m.to, m.reason) for m in billing_due_moves(now) if m.company.pk == company.pk]


def _state(company: Company) -> str:
    return Company.objects.get(pk=company.pk).billing_state


@pytest.fixture
def t0() -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(days=2)


@pytest.mark.django_db
class TestDueMoves:
    def test_trial_ends_into_read_only(self, alpha: Company, t0: datetime) -> None:
        ends = t0 + 14 * DAY
        put_in_state(alpha, S.TRIALING, since=t0, trial_ends_at=ends)
        assert _due_for(alpha, ends - SECOND) == []
        assert _due_for(alpha, ends) == [("read_only", "trial_expired")]

    def test_past_due_grace_is_seven_days(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        assert _due_for(alpha, t0 + 7 * DAY - SECOND) == []
        assert _due_for(alpha, t0 + 7 * DAY) == [("read_only", "past_due_grace_expired")]

    def test_read_only_lasts_fourteen_days(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.READ_ONLY, since=t0)
        assert _due_for(alpha, t0 + 14 * DAY - SECOND) == []
        assert _due_for(alpha, t0 + 14 * DAY) == [("suspended", "read_only_period_expired")]

    @pytest.mark.parametrize("state", ["active", "suspended", "canceled"])
    def test_time_never_moves_these(self, alpha: Company, t0: datetime, state: str) -> None:
        put_in_state(alpha, state, since=t0, trial_ends_at=t0)
        assert _due_for(alpha, t0 + 1000 * DAY) == []

    def test_the_periods_come_from_settings(
        self, alpha: Company, t0: datetime, settings: Any
    ) -> None:
        settings.BILLING_PAST_DUE_GRACE_DAYS = 3
        put_in_state(alpha, S.PAST_DUE, since=t0)
        assert _due_for(alpha, t0 + 3 * DAY) == [("read_only", "past_due_grace_expired")]

    def test_one_query_whatever_the_number_of_companies(
        self, alpha: Company, beta: Company, t0: datetime, django_assert_num_queries: object
    ) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        put_in_state(beta, S.READ_ONLY, since=t0)
        with django_assert_num_queries(1):  # type: ignore[operator]
            moves = billing_due_moves(t0 + 30 * DAY)
        assert {m.company.pk for m in moves} >= {alpha.pk, beta.pk}

    def test_retention_expired_after_thirty_days_canceled(
        self, alpha: Company, t0: datetime
    ) -> None:
        put_in_state(alpha, S.CANCELED, since=t0)
        assert alpha not in billing_retention_expired(t0 + 30 * DAY - SECOND)
        assert alpha in billing_retention_expired(t0 + 30 * DAY)


@pytest.mark.django_db
class TestGraceAdvance:
    def test_moves_as_the_system_and_audits(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        now = t0 + 7 * DAY
        changes = billing_grace_advance(now=now)
        mine = [c for c in changes if c.company_id == alpha.pk]
        assert len(mine) == 1
        change = mine[0]
        assert (change.from_state, change.to_state) == ("past_due", "read_only")
        assert (change.source, change.reason, change.actor, change.at) == (
            "schedule",
            "past_due_grace_expired",
            None,
            now,
        )
        event = PlatformEvent.objects.get(action="billing.state_moved", company_id=alpha.pk)
        assert event.actor is None
        assert event.data["source"] == "schedule"

    def test_a_company_walks_the_whole_way_day_by_day(self, alpha: Company, t0: datetime) -> None:
        # given a payment failed at t0; when the schedule runs every day for five weeks
        put_in_state(alpha, S.PAST_DUE, since=t0)
        for day in range(36):
            billing_grace_advance(now=t0 + day * DAY)
        # then it was read-only from day 7 and suspended from day 21, and nothing else
        history = BillingStateChange.objects.filter(company=alpha).order_by("at")
        assert [(c.from_state, c.to_state, c.at) for c in history] == [
            ("past_due", "read_only", t0 + 7 * DAY),
            ("read_only", "suspended", t0 + 21 * DAY),
        ]
        assert _state(alpha) == S.SUSPENDED

    def test_a_late_schedule_does_not_skip_a_stage(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        billing_grace_advance(now=t0 + 60 * DAY)
        assert _state(alpha) == S.READ_ONLY  # the read-only period starts now
        billing_grace_advance(now=t0 + 60 * DAY + 13 * DAY)
        assert _state(alpha) == S.READ_ONLY
        billing_grace_advance(now=t0 + 60 * DAY + 14 * DAY)
        assert _state(alpha) == S.SUSPENDED

    def test_an_expired_trial_becomes_read_only(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.TRIALING, since=t0, trial_ends_at=t0 + 14 * DAY)
        billing_grace_advance(now=t0 + 14 * DAY)
        assert _state(alpha) == S.READ_ONLY
        change = BillingStateChange.objects.get(company=alpha)
        assert change.reason == "trial_expired"

    def test_running_twice_moves_once(self, alpha: Company, t0: datetime) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        now = t0 + 8 * DAY
        billing_grace_advance(now=now)
        again = billing_grace_advance(now=now)
        assert [c for c in again if c.company_id == alpha.pk] == []
        assert BillingStateChange.objects.filter(company=alpha).count() == 1

    def test_a_company_that_paid_meanwhile_is_left_alone(
        self, alpha: Company, t0: datetime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given the list of due moves was read while alpha was past due
        put_in_state(alpha, S.PAST_DUE, since=t0)
        now = t0 + 8 * DAY
        stale = [DueMove(company=alpha, to=S.READ_ONLY, reason="past_due_grace_expired")]
        monkeypatch.setattr(services, "billing_due_moves", lambda now: stale)
        # and then alpha paid
        billing_state_move(company=alpha, to=S.ACTIVE, reason="paid", source="webhook:evt_p")
        # when the schedule runs, then alpha stays active
        assert billing_grace_advance(now=now) == []
        assert _state(alpha) == S.ACTIVE

    def test_one_failure_does_not_hold_the_others_back(
        self,
        alpha: Company,
        beta: Company,
        t0: datetime,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        put_in_state(alpha, S.PAST_DUE, since=t0)
        put_in_state(beta, S.PAST_DUE, since=t0)
        real = services._grace_advance_one

        def flaky(*, company: Company, now: datetime) -> BillingStateChange | None:
            if company.pk == alpha.pk:
                raise RuntimeError("deadlock detected")
            return real(company=company, now=now)

        monkeypatch.setattr(services, "_grace_advance_one", flaky)
        billing_grace_advance(now=t0 + 8 * DAY)
        assert _state(alpha) == S.PAST_DUE
        assert _state(beta) == S.READ_ONLY
        assert "could not move company" in caplog.text

    def test_the_periodic_task_runs_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        calls: list[object] = []

        def advance(**kwargs: object) -> list[object]:
            calls.append(kwargs)
            return [object(), object()]

        monkeypatch.setattr("shared_apps.billing.tasks.billing_grace_advance", advance)
        assert grace_advance() == 2
        assert calls == [{}]
