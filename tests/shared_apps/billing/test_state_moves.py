"""billing_state_move: the transition table, idempotency, ordering, audit and the signal."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pytest_django import DjangoCaptureOnCommitCallbacks

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.services import BillingTransitionRefused, billing_state_move
from shared_apps.billing.signals import billing_state_changed
from shared_apps.tenants.models import Company
from shared_apps.tenants.selectors import company_for_host, routing_cache_key
from tests.factories import make_user
from tests.shared_apps.billing.factories import put_in_state

S = Company.BillingState
STATES = [s.value for s in S]

ALLOWED = {
    ("trialing", "active"),
    ("trialing", "past_due"),
    ("trialing", "read_only"),
    ("trialing", "canceled"),
    ("active", "past_due"),
    ("active", "canceled"),
    ("past_due", "active"),
    ("past_due", "read_only"),
    ("past_due", "canceled"),
    ("read_only", "active"),
    ("read_only", "suspended"),
    ("read_only", "canceled"),
    ("suspended", "active"),
    ("suspended", "canceled"),
}
PAIRS = [(a, b) for a, b in itertools.product(STATES, STATES) if a != b]
REFUSED = [pair for pair in PAIRS if pair not in ALLOWED]


def _move(company: Company, to: str, **kwargs: Any) -> BillingStateChange | None:
    args: dict[str, Any] = {"reason": "test", "source": "reconcile", **kwargs}
    return billing_state_move(company=company, to=to, **args)


@pytest.mark.django_db
class TestTransitions:
    @pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
    def test_allowed_move_is_made_and_recorded(self, alpha: Company, old: str, new: str) -> None:
        # given
        put_in_state(alpha, old)
        at = timezone.now()
        # when
        change = _move(alpha, new, at=at, reason="payment_failed", source="webhook:evt_1")
        # then the company is in the new state since `at`
        assert change is not None
        stored = Company.objects.get(pk=alpha.pk)
        assert (stored.billing_state, stored.billing_state_changed_at) == (new, at)
        # and the caller's instance says so too
        assert (alpha.billing_state, alpha.billing_state_changed_at) == (new, at)
        # and the history row says what happened
        assert (change.company_id, change.from_state, change.to_state) == (alpha.pk, old, new)
        assert (change.reason, change.source, change.at) == ("payment_failed", "webhook:evt_1", at)
        assert change.actor is None
        assert change.forced is False

    @pytest.mark.parametrize(("old", "new"), REFUSED)
    def test_refused_move_changes_nothing(self, alpha: Company, old: str, new: str) -> None:
        put_in_state(alpha, old)
        events = PlatformEvent.objects.count()
        with translation.override("en"), pytest.raises(BillingTransitionRefused) as excinfo:
            _move(alpha, new)
        assert excinfo.value.code == "transition_refused"
        assert (excinfo.value.old, excinfo.value.new) == (old, new)
        assert "cannot move from" in excinfo.value.messages[0]
        assert Company.objects.get(pk=alpha.pk).billing_state == old
        assert not BillingStateChange.objects.filter(company=alpha).exists()
        assert PlatformEvent.objects.count() == events

    def test_the_table_covers_every_pair(self) -> None:
        assert len(ALLOWED) + len(REFUSED) == len(STATES) * (len(STATES) - 1)

    @pytest.mark.parametrize("old", ["past_due", "read_only", "suspended"])
    def test_a_payment_returns_to_active_from_every_unpaid_state(
        self, alpha: Company, old: str
    ) -> None:
        put_in_state(alpha, old)
        assert _move(alpha, S.ACTIVE, reason="invoice_paid") is not None
        assert alpha.billing_state == S.ACTIVE

    def test_canceled_is_terminal(self, alpha: Company) -> None:
        put_in_state(alpha, S.CANCELED)
        for to in ("trialing", "active", "past_due", "read_only", "suspended"):
            with pytest.raises(BillingTransitionRefused):
                _move(alpha, to)


@pytest.mark.django_db
class TestIdempotentAndOrdered:
    def test_same_move_twice_leaves_one_row(self, alpha: Company) -> None:
        put_in_state(alpha, S.ACTIVE)
        at = timezone.now()
        first = _move(alpha, S.PAST_DUE, at=at)
        second = _move(alpha, S.PAST_DUE, at=at + timedelta(seconds=5))
        assert first is not None
        assert second is None
        assert BillingStateChange.objects.filter(company=alpha).count() == 1
        # the repeated move did not restart the grace period either
        assert Company.objects.get(pk=alpha.pk).billing_state_changed_at == at

    def test_moving_to_the_current_state_writes_nothing(self, alpha: Company) -> None:
        put_in_state(alpha, S.TRIALING)
        events = PlatformEvent.objects.count()
        assert _move(alpha, S.TRIALING) is None
        assert PlatformEvent.objects.count() == events
        assert not BillingStateChange.objects.filter(company=alpha).exists()

    def test_an_event_older_than_the_last_move_is_ignored(self, alpha: Company) -> None:
        # given: paid at t2 (delivered first), failed at t1 (delivered late)
        put_in_state(alpha, S.PAST_DUE, since=timezone.now() - timedelta(hours=2))
        t1 = timezone.now() - timedelta(minutes=30)
        t2 = timezone.now() - timedelta(minutes=10)
        assert _move(alpha, S.ACTIVE, at=t2, source="webhook:evt_paid") is not None
        # when the older failure arrives
        late = _move(alpha, S.PAST_DUE, at=t1, source="webhook:evt_failed")
        # then nothing changes
        assert late is None
        stored = Company.objects.get(pk=alpha.pk)
        assert (stored.billing_state, stored.billing_state_changed_at) == (S.ACTIVE, t2)
        assert BillingStateChange.objects.filter(company=alpha).count() == 1

    def test_a_stale_event_is_ignored_even_if_it_would_be_refused(self, alpha: Company) -> None:
        put_in_state(alpha, S.CANCELED, since=timezone.now())
        assert _move(alpha, S.PAST_DUE, at=timezone.now() - timedelta(days=1)) is None

    def test_a_replayed_webhook_event_is_not_applied_again(self, alpha: Company) -> None:
        # given evt_1 moved past_due -> active, then evt_2 (same second) active -> past_due
        put_in_state(alpha, S.PAST_DUE, since=timezone.now() - timedelta(hours=1))
        at = timezone.now()
        _move(alpha, S.ACTIVE, at=at, source="webhook:evt_1")
        _move(alpha, S.PAST_DUE, at=at, source="webhook:evt_2")
        # when evt_1 is delivered again with the same timestamp
        replay = _move(alpha, S.ACTIVE, at=at, source="webhook:evt_1")
        # then it is recognised and ignored
        assert replay is None
        assert Company.objects.get(pk=alpha.pk).billing_state == S.PAST_DUE

    def test_the_company_row_is_locked(self, alpha: Company) -> None:
        put_in_state(alpha, S.ACTIVE)
        with CaptureQueriesContext(connection) as ctx:
            _move(alpha, S.PAST_DUE)
        locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
        assert len(locks) == 1
        assert '"tenants_company"' in locks[0]

    def test_the_routing_cache_forgets_the_company(self, alpha: Company) -> None:
        company_for_host("alpha.localhost")  # cached
        assert caches["default"].get(routing_cache_key("alpha.localhost")) is not None
        put_in_state(alpha, S.ACTIVE)
        _move(alpha, S.PAST_DUE)
        cached = company_for_host("alpha.localhost")
        assert cached is not None
        assert cached.billing_state == S.PAST_DUE


@pytest.mark.django_db
class TestAuditAndSignal:
    def test_a_move_writes_an_audit_row(self, alpha: Company) -> None:
        put_in_state(alpha, S.ACTIVE)
        actor = make_user()
        at = timezone.now()
        _move(alpha, S.CANCELED, actor=actor, at=at, reason="owner left", source="reconcile")
        event = PlatformEvent.objects.get(action="billing.state_moved", company_id=alpha.pk)
        assert event.actor == actor
        assert (event.target_type, event.target_id) == ("tenants.company", str(alpha.pk))
        assert event.data == {
            "from": "active",
            "to": "canceled",
            "reason": "owner left",
            "source": "reconcile",
            "at": at.isoformat(),
        }
        assert BillingStateChange.objects.get(company=alpha).actor == actor

    def test_the_signal_is_sent_once_after_commit(
        self, alpha: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        received: list[dict[str, Any]] = []

        def receiver(sender: object, **kwargs: Any) -> None:
            received.append(kwargs)

        billing_state_changed.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                change = _move(alpha, S.PAST_DUE)
                _move(alpha, S.PAST_DUE)  # a no-op sends nothing
            assert received == []  # nothing before the commit
            for callback in callbacks:
                callback()
        finally:
            billing_state_changed.disconnect(receiver)
        assert len(received) == 1
        assert received[0]["old"] == "active"
        assert received[0]["new"] == "past_due"
        assert received[0]["change"] == change
        assert received[0]["company"].pk == alpha.pk
        assert received[0]["company"].billing_state == "past_due"

    def test_nothing_is_sent_when_the_move_rolls_back(
        self, alpha: Company, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
    ) -> None:
        from django.db import transaction

        put_in_state(alpha, S.ACTIVE)

        @transaction.atomic
        def move_then_fail() -> None:
            _move(alpha, S.PAST_DUE)
            raise RuntimeError

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            move_then_fail()
        assert callbacks == []
        assert Company.objects.get(pk=alpha.pk).billing_state == S.ACTIVE

    def test_a_failing_receiver_does_not_stop_the_others(
        self,
        alpha: Company,
        django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        seen: list[str] = []

        def broken(sender: object, **kwargs: Any) -> None:
            raise RuntimeError("mail server down")

        def working(sender: object, **kwargs: Any) -> None:
            seen.append(kwargs["new"])

        billing_state_changed.connect(broken)
        billing_state_changed.connect(working)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                _move(alpha, S.PAST_DUE)
        finally:
            billing_state_changed.disconnect(broken)
            billing_state_changed.disconnect(working)
        assert seen == ["past_due"]
        assert "billing_state_changed receiver" in caplog.text


@pytest.mark.django_db
class TestBadInput:
    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"to": "paused"}, "to"),
            ({"reason": "   "}, "reason"),
            ({"reason": "x" * 301}, "reason"),
            ({"source": "cron"}, "source"),
            ({"source": "webhook:"}, "source"),
            ({"source": "webhook:evt 1"}, "source"),
        ],
    )
    def test_is_refused_with_the_field_named(
        self, alpha: Company, kwargs: dict[str, str], field: str
    ) -> None:
        args: dict[str, Any] = {"to": "active", "reason": "r", "source": "reconcile", **kwargs}
        with pytest.raises(ValidationError) as excinfo:
            billing_state_move(company=alpha, **args)
        assert field in excinfo.value.message_dict
