"""The daily reconcile: subscriptions re-synced from Stripe put companies whose webhooks were
missed in the right state; one company's Stripe error does not stop the others."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import stripe
from djstripe import models as dj

from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.billing.reconcile import billing_reconcile
from shared_apps.billing.services import billing_grace_advance
from shared_apps.billing.tasks import reconcile
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.webhook_support import (
    customer_for,
    plan_with_prices,
    stripe_time,
)
from tests.stripe_fake import FakeStripe

State = Company.BillingState


@pytest.fixture
def pro(djstripe_fake: FakeStripe, db: None) -> tuple[Plan, str, str]:
    return plan_with_prices(djstripe_fake)


def _linked_customer(fake: FakeStripe, company: Company) -> str:
    """A Stripe customer for `company`, synced locally (as checkout leaves it), no webhooks."""
    customer = customer_for(fake, company)
    dj.Customer.sync_from_stripe_data(stripe.Customer.retrieve(customer))
    return customer


def _state(company: Company) -> str:
    company.refresh_from_db()
    return company.billing_state


def test_missed_webhooks_are_caught_up_through_dunning_and_cancel(
    djstripe_fake: FakeStripe, alpha: Company, beta: Company, pro: tuple[Plan, str, str]
) -> None:
    plan, monthly, _ = pro
    customer = _linked_customer(djstripe_fake, alpha)
    sub_id = djstripe_fake.create_subscription(customer, monthly)["id"]

    result = billing_reconcile(now=stripe_time(djstripe_fake))
    assert (result.companies, result.moved, result.failed) == (1, [alpha.pk], [])
    alpha.refresh_from_db()
    assert (alpha.billing_state, alpha.plan) == (State.ACTIVE, plan)
    assert BillingStateChange.objects.get(company=alpha).source == "reconcile"
    assert _state(beta) == State.TRIALING  # no Stripe customer: untouched

    # Running again changes nothing.
    assert billing_reconcile(now=stripe_time(djstripe_fake)).moved == []
    assert BillingStateChange.objects.filter(company=alpha).count() == 1

    djstripe_fake.store.after_failed_retries = "past_due"
    djstripe_fake.fail_all_payments(customer)
    djstripe_fake.renew(sub_id)
    billing_reconcile(now=stripe_time(djstripe_fake))
    assert _state(alpha) == State.PAST_DUE

    djstripe_fake.advance_clock(days=8)
    billing_grace_advance(now=stripe_time(djstripe_fake))
    assert _state(alpha) == State.READ_ONLY
    billing_reconcile(now=stripe_time(djstripe_fake))  # Stripe still says past_due
    assert _state(alpha) == State.READ_ONLY

    djstripe_fake.clear_payment_failures(customer)
    djstripe_fake.pay_invoice(djstripe_fake.get(sub_id)["latest_invoice"])
    billing_reconcile(now=stripe_time(djstripe_fake))
    assert _state(alpha) == State.ACTIVE

    stripe.Subscription.cancel(sub_id)
    billing_reconcile(now=stripe_time(djstripe_fake))
    assert _state(alpha) == State.CANCELED
    assert billing_reconcile(now=stripe_time(djstripe_fake)).companies == 0  # terminal
    assert [c.source for c in BillingStateChange.objects.filter(company=alpha)] == [
        "reconcile",
        "reconcile",
        "schedule",
        "reconcile",
        "reconcile",
    ]


def test_one_companys_stripe_error_does_not_stop_the_others(
    djstripe_fake: FakeStripe,
    alpha: Company,
    beta: Company,
    pro: tuple[Plan, str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = _linked_customer(djstripe_fake, alpha)
    djstripe_fake.create_subscription(broken, pro[1])
    fine = _linked_customer(djstripe_fake, beta)
    djstripe_fake.create_subscription(fine, pro[1])
    sync = dj.Customer._sync_subscriptions

    def failing_for_alpha(self: dj.Customer, **kwargs: Any) -> None:
        if self.id == broken:
            raise stripe.APIConnectionError("Stripe could not be reached")
        sync(self, **kwargs)

    monkeypatch.setattr(dj.Customer, "_sync_subscriptions", failing_for_alpha)
    with caplog.at_level(logging.ERROR):
        result = billing_reconcile(now=stripe_time(djstripe_fake))
    assert (result.moved, result.failed) == ([beta.pk], [alpha.pk])
    assert f"reconcile failed for company {alpha.pk}" in caplog.text
    assert (_state(alpha), _state(beta)) == (State.TRIALING, State.ACTIVE)


def test_stripe_down_changes_nothing(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str]
) -> None:
    customer = _linked_customer(djstripe_fake, alpha)
    djstripe_fake.create_subscription(customer, pro[1])
    djstripe_fake.set_down(True)
    result = billing_reconcile(now=stripe_time(djstripe_fake))
    assert result.failed == [alpha.pk]
    assert _state(alpha) == State.TRIALING
    assert not dj.Subscription.objects.exists()


def test_the_task_reports_counts(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str]
) -> None:
    customer = _linked_customer(djstripe_fake, alpha)
    djstripe_fake.create_subscription(customer, pro[1])
    assert reconcile.apply().get() == {"companies": 1, "moved": 1, "failed": 0}
    assert _state(alpha) == State.ACTIVE
