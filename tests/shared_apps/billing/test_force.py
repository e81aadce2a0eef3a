"""billing_state_force: the platform admin's move past the rules, always with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.services import billing_state_force, billing_state_move
from shared_apps.tenants.models import Company
from tests.factories import make_user
from tests.shared_apps.billing.factories import put_in_state

S = Company.BillingState


@pytest.mark.django_db
class TestForce:
    def test_leaves_canceled_with_a_reason_and_is_audited(self, alpha: Company) -> None:
        # given a canceled company and a platform admin
        put_in_state(alpha, S.CANCELED)
        admin = make_user(is_staff=True)
        # when they force it back to active
        change = billing_state_force(
            company=alpha, to=S.ACTIVE, reason="paid by bank transfer", actor=admin
        )
        # then
        assert change is not None
        assert alpha.billing_state == S.ACTIVE
        assert (change.from_state, change.to_state) == ("canceled", "active")
        assert (change.forced, change.source, change.actor) == (True, "admin", admin)
        assert change.reason == "paid by bank transfer"
        event = PlatformEvent.objects.get(action="billing.state_forced", company_id=alpha.pk)
        assert event.actor == admin
        assert event.data["reason"] == "paid by bank transfer"
        assert (event.data["from"], event.data["to"]) == ("canceled", "active")

    @pytest.mark.parametrize(
        ("old", "new"),
        [("active", "suspended"), ("trialing", "suspended"), ("canceled", "past_due")],
    )
    def test_any_transition_is_possible(self, alpha: Company, old: str, new: str) -> None:
        put_in_state(alpha, old)
        billing_state_force(company=alpha, to=new, reason="support ticket 42", actor=make_user())
        assert Company.objects.get(pk=alpha.pk).billing_state == new

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_needs_a_reason(self, alpha: Company, reason: str) -> None:
        put_in_state(alpha, S.CANCELED)
        with pytest.raises(ValidationError) as excinfo:
            billing_state_force(company=alpha, to=S.ACTIVE, reason=reason, actor=make_user())
        assert "reason" in excinfo.value.message_dict
        assert Company.objects.get(pk=alpha.pk).billing_state == S.CANCELED
        assert not BillingStateChange.objects.filter(company=alpha).exists()

    def test_needs_an_actor(self, alpha: Company) -> None:
        with pytest.raises(ValidationError):
            billing_state_force(
                company=alpha,
                to=S.ACTIVE,
                reason="r",
                actor=None,  # type: ignore[arg-type]
            )

    def test_forcing_the_current_state_does_nothing(self, alpha: Company) -> None:
        put_in_state(alpha, S.ACTIVE)
        assert (
            billing_state_force(company=alpha, to=S.ACTIVE, reason="r", actor=make_user()) is None
        )
        assert not BillingStateChange.objects.filter(company=alpha).exists()

    def test_outranks_an_event_recorded_with_a_later_time(self, alpha: Company) -> None:
        # a webhook's time a little ahead of our clock must not make the admin's move "older"
        put_in_state(alpha, S.CANCELED, since=timezone.now() + timedelta(minutes=5))
        change = billing_state_force(company=alpha, to=S.ACTIVE, reason="r", actor=make_user())
        assert change is not None
        assert alpha.billing_state == S.ACTIVE
        # and a late event from before the forced move is then ignored
        assert (
            billing_state_move(
                company=alpha,
                to=S.CANCELED,
                reason="late",
                source="webhook:evt_old",
                at=timezone.now() - timedelta(minutes=1),
            )
            is None
        )


@pytest.mark.django_db
class TestForceTrial:
    def test_restarting_a_trial_needs_a_future_end(self, alpha: Company) -> None:
        put_in_state(alpha, S.SUSPENDED)
        admin = make_user()
        with pytest.raises(ValidationError) as excinfo:
            billing_state_force(company=alpha, to=S.TRIALING, reason="r", actor=admin)
        assert "trial_ends_at" in excinfo.value.message_dict
        with pytest.raises(ValidationError):
            billing_state_force(
                company=alpha,
                to=S.TRIALING,
                reason="r",
                actor=admin,
                trial_ends_at=timezone.now() - timedelta(days=1),
            )
        ends = timezone.now() + timedelta(days=7)
        change = billing_state_force(
            company=alpha, to=S.TRIALING, reason="second chance", actor=admin, trial_ends_at=ends
        )
        assert change is not None
        stored = Company.objects.get(pk=alpha.pk)
        assert (stored.billing_state, stored.trial_ends_at) == (S.TRIALING, ends)

    def test_extends_a_running_trial(self, alpha: Company) -> None:
        put_in_state(alpha, S.TRIALING, trial_ends_at=timezone.now() + timedelta(days=2))
        ends = timezone.now() + timedelta(days=30)
        change = billing_state_force(
            company=alpha, to=S.TRIALING, reason="sales call", actor=make_user(), trial_ends_at=ends
        )
        assert change is not None
        assert (change.from_state, change.to_state) == ("trialing", "trialing")
        assert Company.objects.get(pk=alpha.pk).trial_ends_at == ends

    def test_only_a_trial_has_an_end(self, alpha: Company) -> None:
        with pytest.raises(ValidationError) as excinfo:
            billing_state_force(
                company=alpha,
                to=S.ACTIVE,
                reason="r",
                actor=make_user(),
                trial_ends_at=timezone.now() + timedelta(days=1),
            )
        assert "trial_ends_at" in excinfo.value.message_dict
