# The stripe library types every expandable or optional field as a Union/Optional; these
# tests read them as the API returns them (asserting at run time), so mypy is told not to narrow.
# mypy: disable-error-code="arg-type, index"
"""dj-stripe 2.11 syncs from the fake: customers, subscriptions with items, invoices with
lines, webhook events processed by its handlers (which re-retrieve from the API)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from djstripe import models as dj

from shared_apps.tenants.models import Company
from tests.stripe_fake.fake import TEST_API_KEY, FakeStripe
from tests.stripe_fake.store import ACCOUNT_ID


def subscribe(fake: FakeStripe, **session: Any) -> str:
    price = fake.create_price(2900, name="Pro")
    created = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price["id"], "quantity": 1}],
        success_url="http://localhost/ok",
        **session,
    )
    return fake.complete_checkout(created.id)["subscription"]


def test_customer_sync_links_the_company(djstripe_fake: FakeStripe, alpha: Company) -> None:
    created = stripe.Customer.create(
        email="owner@alpha.test", metadata={"djstripe_subscriber": str(alpha.pk)}
    )
    customer = dj.Customer.sync_from_stripe_data(stripe.Customer.retrieve(created.id))
    assert (customer.id, customer.email, customer.subscriber) == (
        created.id,
        "owner@alpha.test",
        alpha,
    )
    assert dj.APIKey.objects.get().secret == TEST_API_KEY
    assert customer.djstripe_owner_account.id == ACCOUNT_ID


def test_subscription_and_invoice_sync(djstripe_fake: FakeStripe, db: None) -> None:
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    sub = dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))
    assert sub.status == "active"
    assert sub.customer.email == "owner@alpha.test"
    item = sub.items.get()
    assert item.price.unit_amount == 2900
    assert item.price.product.name == "Pro"
    assert item.stripe_data["current_period_end"] > djstripe_fake.now
    invoice = dj.Invoice.sync_from_stripe_data(
        stripe.Invoice.retrieve(sub.stripe_data["latest_invoice"])
    )
    assert invoice.subscription == sub
    assert invoice.customer == sub.customer
    assert (invoice.status, invoice.amount_due, invoice.paid) == ("paid", 2900, True)
    line = dj.LineItem.objects.get(subscription=sub)
    assert line.subscription_item == item
    assert line.period_end == item.stripe_data["current_period_end"]


def test_plan_change_prorations_sync(djstripe_fake: FakeStripe, db: None) -> None:
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    bigger = djstripe_fake.create_price(9900, name="Business")
    djstripe_fake.advance_clock(days=5)
    item_id = stripe.Subscription.retrieve(sub_id)["items"].data[0].id
    stripe.Subscription.modify(sub_id, items=[{"id": item_id, "price": bigger["id"]}])
    djstripe_fake.renew(sub_id)
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub_id).latest_invoice)
    synced = dj.Invoice.sync_from_stripe_data(invoice)
    assert dj.InvoiceItem.objects.filter(subscription__id=sub_id).count() == 2
    assert synced.stripe_data["amount_paid"] == invoice.amount_paid


def test_webhook_events_process_through_djstripe_handlers(
    djstripe_fake: FakeStripe, db: None
) -> None:
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    djstripe_fake.update_subscription(sub_id, cancel_at_period_end=True)
    for event in djstripe_fake.events():
        dj.Event.process(event)
    sub = dj.Subscription.objects.get(id=sub_id)
    assert sub.status == "active"
    assert sub.cancel_at_period_end is True
    assert dj.Session.objects.get().subscription == sub
    assert dj.Invoice.objects.get().status == "paid"
    djstripe_fake.advance_clock(to=sub.stripe_data["cancel_at"])
    deleted = djstripe_fake.events("customer.subscription.deleted")[0]
    dj.Event.process(deleted)
    assert dj.Subscription.objects.get(id=sub_id).status == "canceled"


def test_customer_for_a_company_and_its_list_syncs(
    djstripe_fake: FakeStripe, alpha: Company
) -> None:
    customer, created = dj.Customer.get_or_create(subscriber=alpha)
    assert created
    assert customer.subscriber == alpha
    remote = stripe.Customer.retrieve(customer.id)
    assert remote.metadata["djstripe_subscriber"] == str(alpha.pk)
    subscribe(djstripe_fake, customer=customer.id)
    # djstripe.sync.sync_subscriber() calls these without an api_key: they then use the key
    # settings had when djstripe was imported (see the package docstring).
    customer._sync_subscriptions(api_key=TEST_API_KEY)
    customer._sync_invoices(api_key=TEST_API_KEY)
    customer._sync_charges(api_key=TEST_API_KEY)
    assert customer.subscriptions.get().status == "active"
    assert customer.invoices.count() == 1


@pytest.mark.parametrize("legacy", [True])
def test_legacy_periods_fill_djstripes_current_period_end(
    djstripe_fake: FakeStripe, db: None, legacy: bool
) -> None:
    djstripe_fake.store.legacy_periods = legacy
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    sub = dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))
    assert sub.current_period_end is not None
    assert sub.is_valid()


def test_djstripe_upcoming_invoice_uses_create_preview(djstripe_fake: FakeStripe, db: None) -> None:
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    sub = dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))
    # upcoming()'s api_key default is frozen at import (see the package docstring): pass it.
    upcoming = dj.Invoice.upcoming(api_key=TEST_API_KEY, customer=sub.customer, subscription=sub)
    assert upcoming is not None
    assert upcoming.stripe_data["amount_due"] == 2900
    assert upcoming.stripe_data["billing_reason"] == "subscription_cycle"


def test_djstripe_model_cancel_calls(djstripe_fake: FakeStripe, db: None) -> None:
    sub_id = subscribe(djstripe_fake, customer_email="owner@alpha.test")
    sub = dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))
    sub = sub.cancel(at_period_end=True)
    assert sub.cancel_at_period_end is True
    assert sub.status == "active"
    sub = sub.cancel()
    assert sub.status == "canceled"
    assert djstripe_fake.events("customer.subscription.deleted")
