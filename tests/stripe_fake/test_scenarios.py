# The stripe library types every expandable or optional field as a Union/Optional; these
# tests read them as the API returns them (asserting at run time), so mypy is told not to narrow.
# mypy: disable-error-code="union-attr, arg-type"
"""Scenario controls: renewals, failed and 3-D Secure payments, retries, trials, events."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe_fake.fake import FakeStripe


@pytest.fixture
def subscribed(fake_stripe: FakeStripe) -> tuple[str, str]:
    """(customer id, subscription id): 20.00 EUR a month, paid by card."""
    price = fake_stripe.create_price(2000, name="Pro")
    customer = fake_stripe.create_customer("owner@example.test")
    fake_stripe.add_payment_method(customer["id"])
    sub = fake_stripe.create_subscription(customer["id"], price["id"])
    assert sub["status"] == "active"
    return customer["id"], sub["id"]


def test_renewal_moves_the_items_period_and_charges(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    _, sub_id = subscribed
    item = fake_stripe.get(sub_id)["items"]["data"][0]
    events = fake_stripe.renew(sub_id)
    assert [e["type"] for e in events] == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    renewed = events[0]["data"]["object"]["items"]["data"][0]
    assert renewed["current_period_start"] == item["current_period_end"]
    assert renewed["current_period_end"] > item["current_period_end"]
    assert "items" in events[0]["data"]["previous_attributes"]
    assert all(e["request"] == {"id": None, "idempotency_key": None} for e in events)
    invoice = events[-1]["data"]["object"]
    assert (invoice["billing_reason"], invoice["amount_paid"], invoice["status"]) == (
        "subscription_cycle",
        2000,
        "paid",
    )


def test_a_failed_renewal_leaves_the_invoice_open_and_the_subscription_past_due(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    customer, sub_id = subscribed
    fake_stripe.fail_next_payment(customer)
    events = fake_stripe.renew(sub_id)
    types = [e["type"] for e in events]
    assert "invoice.payment_failed" in types
    assert "invoice.paid" not in types
    sub = stripe.Subscription.retrieve(sub_id, expand=["latest_invoice"])
    assert sub.status == "past_due"
    assert (sub.latest_invoice.status, sub.latest_invoice.attempt_count) == ("open", 1)
    assert sub.latest_invoice.next_payment_attempt == fake_stripe.now + 3 * 86400
    paid = fake_stripe.pay_invoice(sub.latest_invoice.id)
    assert paid["status"] == "paid"
    assert stripe.Subscription.retrieve(sub_id).status == "active"
    last = fake_stripe.events("customer.subscription.updated")[-1]
    assert last["data"]["previous_attributes"] == {"status": "past_due"}


def test_paying_through_the_api_after_a_failure(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    customer, sub_id = subscribed
    fake_stripe.fail_next_payment(customer, times=2, decline_code="insufficient_funds")
    fake_stripe.renew(sub_id)
    invoice_id = stripe.Subscription.retrieve(sub_id).latest_invoice
    with pytest.raises(stripe.CardError) as declined:
        stripe.Invoice.pay(invoice_id)
    assert declined.value.code == "card_declined"
    assert stripe.Invoice.retrieve(invoice_id).attempt_count == 2  # a card error is recorded
    assert stripe.Invoice.pay(invoice_id).status == "paid"


def test_smart_retries_then_cancel(fake_stripe: FakeStripe, subscribed: tuple[str, str]) -> None:
    customer, sub_id = subscribed
    fake_stripe.fail_all_payments(customer)
    fake_stripe.renew(sub_id)
    fake_stripe.advance_clock(days=3 + 5)
    invoice = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub_id).latest_invoice)
    assert invoice.attempt_count == 3
    assert stripe.Subscription.retrieve(sub_id).status == "past_due"
    fake_stripe.advance_clock(days=7)
    sub = stripe.Subscription.retrieve(sub_id)
    assert sub.status == "canceled"
    assert sub.cancellation_details.reason == "payment_failed"
    assert len(fake_stripe.events("invoice.payment_failed")) == 4


def test_a_retry_that_succeeds_reactivates(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    customer, sub_id = subscribed
    fake_stripe.fail_next_payment(customer)
    fake_stripe.renew(sub_id)
    fake_stripe.advance_clock(days=3)
    assert stripe.Subscription.retrieve(sub_id).status == "active"


def test_required_action_on_renewal(fake_stripe: FakeStripe, subscribed: tuple[str, str]) -> None:
    customer, sub_id = subscribed
    fake_stripe.require_action(customer)
    types = [e["type"] for e in fake_stripe.renew(sub_id)]
    assert "invoice.payment_action_required" in types
    assert stripe.Subscription.retrieve(sub_id).status == "past_due"


def test_no_payment_method_leaves_a_new_subscription_incomplete_until_it_expires(
    fake_stripe: FakeStripe,
) -> None:
    price = fake_stripe.create_price(2000)
    customer = stripe.Customer.create(email="x@example.test")
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price["id"]}])
    assert sub.status == "incomplete"
    assert stripe.Invoice.retrieve(sub.latest_invoice).status == "open"
    fake_stripe.advance_clock(hours=23)
    assert stripe.Subscription.retrieve(sub.id).status == "incomplete_expired"
    assert stripe.Invoice.retrieve(sub.latest_invoice).status == "void"


def test_error_if_incomplete_refuses_and_creates_nothing(fake_stripe: FakeStripe) -> None:
    price = fake_stripe.create_price(2000)
    customer = fake_stripe.create_customer()
    fake_stripe.add_payment_method(customer["id"])
    fake_stripe.fail_next_payment(customer["id"])
    with pytest.raises(stripe.CardError):
        stripe.Subscription.create(
            customer=customer["id"],
            items=[{"price": price["id"]}],
            payment_behavior="error_if_incomplete",
        )
    assert fake_stripe.objects("subscription") == []
    assert (
        stripe.Subscription.create(customer=customer["id"], items=[{"price": price["id"]}]).status
        == "active"
    )


def test_trial_will_end_on_demand(fake_stripe: FakeStripe) -> None:
    price = fake_stripe.create_price(2000)
    customer = fake_stripe.create_customer()
    sub = fake_stripe.create_subscription(customer["id"], price["id"], trial_days=30)
    assert sub["status"] == "trialing"
    event = fake_stripe.trial_will_end(sub["id"])
    assert event["type"] == "customer.subscription.trial_will_end"
    assert fake_stripe.advance_clock(days=29) == []  # already sent
    fake_stripe.advance_clock(days=1)
    ended = stripe.Subscription.retrieve(sub["id"])
    assert ended.status == "past_due"  # no card on file when the trial ended


def test_events_are_stripe_shaped_and_listable(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    _, sub_id = subscribed
    stripe.Subscription.modify(sub_id, metadata={"plan": "pro"}, idempotency_key="idem-1")
    event = stripe.Event.list(type="customer.subscription.updated", limit=1).data[0]
    assert event.id.startswith("evt_")
    assert event.object == "event"
    assert (event.livemode, event.api_version) == (False, fake_stripe.store.api_version)
    request = event["request"]  # `event.request` is StripeObject's own method
    assert request["idempotency_key"] == "idem-1"
    assert request["id"].startswith("req_")
    assert event.data.object.metadata.to_dict() == {"plan": "pro"}
    assert event.data.previous_attributes.metadata.to_dict() == {}
    assert stripe.Event.retrieve(event.id).type == "customer.subscription.updated"
    assert {e.type for e in stripe.Event.list(types=["invoice.*"], limit=100).data} >= {
        "invoice.paid"
    }


def test_the_portal_update_is_an_event_without_a_request(
    fake_stripe: FakeStripe, subscribed: tuple[str, str]
) -> None:
    _, sub_id = subscribed
    fake_stripe.update_subscription(sub_id, cancel_at_period_end=True)
    event = fake_stripe.events("customer.subscription.updated")[-1]
    assert event["request"]["id"] is None
    assert event["data"]["object"]["cancel_at_period_end"] is True
