"""Stripe events move the billing state: signed webhooks posted in-process (Django's test
client) to the public host's endpoint, processed by dj-stripe (which re-retrieves each object
from the fake Stripe) and then by our receivers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.test import Client
from djstripe import models as dj

from saas.celery import app as celery_app
from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.billing.services import billing_grace_advance
from shared_apps.billing.signals import (
    NOTICE_ACTION_REQUIRED,
    NOTICE_PAYMENT_FAILED,
    NOTICE_TRIAL_ENDING,
    billing_notice,
)
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.factories import put_in_state
from tests.shared_apps.billing.webhook_support import (
    customer_for,
    endpoint_create,
    plan_with_prices,
    post_all,
    stripe_time,
    subscribe,
)
from tests.stripe_fake import FakeStripe

State = Company.BillingState
Notices = list[dict[str, Any]]


@pytest.fixture
def endpoint(djstripe_fake: FakeStripe, db: None) -> dj.WebhookEndpoint:
    return endpoint_create()


@pytest.fixture
def pro(djstripe_fake: FakeStripe, db: None) -> tuple[Plan, str, str]:
    return plan_with_prices(djstripe_fake)


@pytest.fixture
def notices() -> Iterator[Notices]:
    """billing_notice as sent (after commit); the emails' Celery tasks run inline."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    seen: Notices = []

    def collect(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    billing_notice.connect(collect, dispatch_uid="test.notices")
    yield seen
    billing_notice.disconnect(dispatch_uid="test.notices")
    celery_app.conf.task_always_eager = eager


Deliver = Callable[..., None]


@pytest.fixture
def deliver(
    public_client: Client,
    endpoint: dj.WebhookEndpoint,
    djstripe_fake: FakeStripe,
    django_capture_on_commit_callbacks: Any,
) -> Deliver:
    """Post every event not posted yet (those the endpoint subscribes to), in order, and
    run what they scheduled after commit."""
    sent = [0]

    def run() -> None:
        events = djstripe_fake.events()
        with django_capture_on_commit_callbacks(execute=True):
            post_all(public_client, endpoint, events[sent[0] :])
        sent[0] = len(events)

    return run


def _reload(company: Company) -> Company:
    company.refresh_from_db()
    return company


def test_subscribe_activates_the_company_on_the_plan_of_the_price(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    plan, monthly, _ = pro
    _, sub_id = subscribe(djstripe_fake, alpha, monthly)
    deliver()
    alpha = _reload(alpha)
    assert (alpha.billing_state, alpha.plan) == (State.ACTIVE, plan)
    change = BillingStateChange.objects.get(company=alpha)
    created = djstripe_fake.events("customer.subscription.created")[0]
    # The first event that said "active" moved it, at the event's own time.
    assert change.source == f"webhook:{created['id']}"
    assert change.at == stripe_time(djstripe_fake).replace(microsecond=0)
    assert (change.from_state, change.to_state) == (State.TRIALING, State.ACTIVE)
    # dj-stripe synced the objects our receiver read.
    assert dj.Subscription.objects.get(id=sub_id).customer.subscriber == alpha


def test_yearly_price_sets_the_plan_too(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    plan, _, yearly = pro
    subscribe(djstripe_fake, alpha, yearly)
    deliver()
    assert _reload(alpha).plan == plan


def test_a_price_of_no_plan_activates_without_changing_the_plan(
    djstripe_fake: FakeStripe, alpha: Company, deliver: Deliver, endpoint: dj.WebhookEndpoint
) -> None:
    before = alpha.plan
    subscribe(djstripe_fake, alpha, djstripe_fake.create_price(500)["id"])
    deliver()
    alpha = _reload(alpha)
    assert (alpha.billing_state, alpha.plan) == (State.ACTIVE, before)


def test_renewal_keeps_the_company_active(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    _, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    djstripe_fake.renew(sub_id)
    deliver()
    assert _reload(alpha).billing_state == State.ACTIVE
    assert BillingStateChange.objects.filter(company=alpha).count() == 1
    assert (
        dj.Invoice.objects.filter(subscription__id=sub_id, stripe_data__status="paid").count() == 2
    )


def test_dunning_payment_failed_grace_read_only_suspended_then_paid(
    djstripe_fake: FakeStripe,
    alpha: Company,
    pro: tuple[Plan, str, str],
    deliver: Deliver,
    notices: Notices,
) -> None:
    djstripe_fake.store.after_failed_retries = "past_due"
    customer, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    djstripe_fake.fail_all_payments(customer)
    djstripe_fake.renew(sub_id)
    deliver()
    alpha = _reload(alpha)
    assert alpha.billing_state == State.PAST_DUE
    invoice = dj.Invoice.objects.get(id=djstripe_fake.get(sub_id)["latest_invoice"])
    assert notices == [
        {
            "signal": billing_notice,
            "company": alpha,
            "kind": NOTICE_PAYMENT_FAILED,
            "event_id": djstripe_fake.events("invoice.payment_failed")[0]["id"],
            "hosted_invoice_url": invoice.stripe_data["hosted_invoice_url"],
        }
    ]
    assert invoice.stripe_data["hosted_invoice_url"].startswith(djstripe_fake.url)

    # Stripe retries for 8 days (failing): past due for more than the 7-day grace.
    djstripe_fake.advance_clock(days=8)
    deliver()
    assert _reload(alpha).billing_state == State.PAST_DUE
    billing_grace_advance(now=stripe_time(djstripe_fake))
    assert _reload(alpha).billing_state == State.READ_ONLY
    # The last retry (day 15) fails too: read-only stays (dunning went further), and the
    # owners hear of each failure (the first and three retries).
    djstripe_fake.advance_clock(days=15)
    deliver()
    assert _reload(alpha).billing_state == State.READ_ONLY
    assert [n["kind"] for n in notices] == [NOTICE_PAYMENT_FAILED] * 4
    billing_grace_advance(now=stripe_time(djstripe_fake))
    assert _reload(alpha).billing_state == State.SUSPENDED

    djstripe_fake.clear_payment_failures(customer)
    djstripe_fake.pay_invoice(invoice.id)
    deliver()
    alpha = _reload(alpha)
    assert alpha.billing_state == State.ACTIVE
    moves = BillingStateChange.objects.filter(company=alpha).order_by("at", "id")
    assert [(m.to_state, m.source.split(":")[0]) for m in moves] == [
        (State.ACTIVE, "webhook"),
        (State.PAST_DUE, "webhook"),
        (State.READ_ONLY, "schedule"),
        (State.SUSPENDED, "schedule"),
        (State.ACTIVE, "webhook"),
    ]


def test_card_requiring_action_sends_a_notice_and_moves_nothing_yet(
    djstripe_fake: FakeStripe,
    alpha: Company,
    pro: tuple[Plan, str, str],
    deliver: Deliver,
    notices: Notices,
) -> None:
    customer, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    djstripe_fake.require_action(customer)
    events = djstripe_fake.renew(sub_id)
    assert "invoice.payment_action_required" in [e["type"] for e in events]
    deliver()
    kinds = [n["kind"] for n in notices]
    assert NOTICE_ACTION_REQUIRED in kinds
    notice = notices[kinds.index(NOTICE_ACTION_REQUIRED)]
    assert notice["hosted_invoice_url"]
    assert _reload(alpha).billing_state in (State.ACTIVE, State.PAST_DUE)


def test_trial_will_end_sends_a_notice_with_the_trial_end(
    djstripe_fake: FakeStripe,
    alpha: Company,
    pro: tuple[Plan, str, str],
    deliver: Deliver,
    notices: Notices,
) -> None:
    _, sub_id = subscribe(djstripe_fake, alpha, pro[1], trial_days=14)
    deliver()
    assert _reload(alpha).billing_state == State.ACTIVE  # a Stripe trial is subscribed
    event = djstripe_fake.trial_will_end(sub_id)
    deliver()
    [notice] = notices
    assert (notice["kind"], notice["event_id"]) == (NOTICE_TRIAL_ENDING, event["id"])
    assert notice["ends_at"] == dj.Subscription.objects.get(id=sub_id).trial_end


def test_cancel_deleted_subscription_cancels_the_company(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    _, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    stripe.Subscription.cancel(sub_id)
    deliver()
    assert _reload(alpha).billing_state == State.CANCELED


def test_cancel_at_period_end_then_resume_keeps_it_active(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    _, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    djstripe_fake.update_subscription(sub_id, cancel_at_period_end=True)
    deliver()
    assert _reload(alpha).billing_state == State.ACTIVE
    djstripe_fake.update_subscription(sub_id, cancel_at_period_end=False)
    djstripe_fake.renew(sub_id)
    deliver()
    assert _reload(alpha).billing_state == State.ACTIVE


def test_plan_change_in_the_portal_changes_the_plan(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    plan, monthly, _ = pro
    basic = djstripe_fake.create_price(900, name="Basic")["id"]
    _, sub_id = subscribe(djstripe_fake, alpha, basic)
    deliver()
    assert _reload(alpha).plan != plan
    item = djstripe_fake.get(sub_id)["items"]["data"][0]["id"]
    djstripe_fake.update_subscription(sub_id, items=[{"id": item, "price": monthly}])
    deliver()
    assert _reload(alpha).plan == plan


def test_the_end_of_an_old_subscription_does_not_cancel_a_resubscribed_company(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    customer, old = subscribe(djstripe_fake, alpha, pro[1])
    djstripe_fake.advance_clock(seconds=5)
    djstripe_fake.create_subscription(customer, pro[2])
    djstripe_fake.advance_clock(seconds=5)
    stripe.Subscription.cancel(old)
    deliver()
    assert _reload(alpha).billing_state == State.ACTIVE


def test_an_incomplete_subscription_moves_nothing_even_when_it_expires(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    customer = customer_for(djstripe_fake, alpha)
    djstripe_fake.fail_next_payment(customer)
    sub = djstripe_fake.create_subscription(customer, pro[1], payment_behavior="default_incomplete")
    assert sub["status"] == "incomplete"
    deliver()
    alpha = _reload(alpha)
    assert alpha.billing_state == State.TRIALING
    # Unpaid for 23 hours, it expires: the company's own trial runs on.
    djstripe_fake.advance_clock(days=1)
    assert djstripe_fake.get(sub["id"])["status"] == "incomplete_expired"
    deliver()
    assert _reload(alpha).billing_state == State.TRIALING
    assert not BillingStateChange.objects.filter(company=alpha).exists()


def test_a_failure_delivered_after_the_payment_moves_and_sends_nothing(
    djstripe_fake: FakeStripe,
    alpha: Company,
    pro: tuple[Plan, str, str],
    endpoint: dj.WebhookEndpoint,
    public_client: Client,
    notices: Notices,
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    post_all(public_client, endpoint, djstripe_fake.events())
    mark = djstripe_fake.mark()
    djstripe_fake.fail_next_payment(customer)
    djstripe_fake.renew(sub_id)
    failed = djstripe_fake.events(since=mark)
    djstripe_fake.pay_invoice(djstripe_fake.get(sub_id)["latest_invoice"])
    paid = djstripe_fake.events(since=mark + len(failed))
    with django_capture_on_commit_callbacks(execute=True):
        post_all(public_client, endpoint, paid)  # the newer events first
        post_all(public_client, endpoint, failed)
    assert _reload(alpha).billing_state == State.ACTIVE
    assert not BillingStateChange.objects.filter(company=alpha, to_state=State.PAST_DUE)
    assert notices == []


def test_a_read_only_company_stays_read_only_when_stripe_says_past_due(
    djstripe_fake: FakeStripe, alpha: Company, pro: tuple[Plan, str, str], deliver: Deliver
) -> None:
    customer, sub_id = subscribe(djstripe_fake, alpha, pro[1])
    deliver()
    put_in_state(alpha, State.READ_ONLY, since=stripe_time(djstripe_fake) - timedelta(days=1))
    djstripe_fake.fail_next_payment(customer)
    djstripe_fake.renew(sub_id)
    deliver()  # every delivery answered 200: a refused move is skipped, not an error
    assert _reload(alpha).billing_state == State.READ_ONLY


def test_reprocessing_an_unknown_customers_event_outside_a_webhook_skips_it(
    djstripe_fake: FakeStripe,
    alpha: Company,
    pro: tuple[Plan, str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """dj-stripe's admin and commands process stored events without our view: an event of a
    customer no company owns is logged and skipped there (the view answers 400 instead)."""
    stranger = djstripe_fake.create_customer("stranger@example.test")
    djstripe_fake.add_payment_method(stranger["id"])
    djstripe_fake.create_subscription(stranger["id"], pro[1])
    event = djstripe_fake.events("customer.subscription.created")[0]
    with caplog.at_level(logging.WARNING):
        processed = dj.Event.process(event)
    assert processed.id == event["id"]
    assert f"no company owns Stripe customer {stranger['id']}, ignored" in caplog.text
    assert _reload(alpha).billing_state == State.TRIALING
