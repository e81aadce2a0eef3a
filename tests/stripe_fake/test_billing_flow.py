# The stripe library types every expandable or optional field as a Union/Optional; these
# tests read them as the API returns them (asserting at run time), so mypy is told not to narrow.
# mypy: disable-error-code="union-attr, arg-type"
"""A subscription's life through the real `stripe` library: checkout, plan change with a
proration preview, cancel at period end and resume, invoices, the billing portal."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from tests.stripe_fake.fake import FakeStripe


@pytest.fixture
def plans(fake_stripe: FakeStripe) -> dict[str, Any]:
    pro = stripe.Product.create(name="Pro").id
    business = stripe.Product.create(name="Business").id

    def price(product: str, amount: int, interval: Any = "month") -> stripe.Price:
        recurring: Any = {"interval": interval}
        return stripe.Price.create(
            product=product, unit_amount=amount, currency="eur", recurring=recurring
        )

    return {
        "pro": price(pro, 3000),
        "business": price(business, 6000),
        "pro_year": price(pro, 30000, "year"),
    }


def checkout(fake: FakeStripe, price: Any, **extra: Any) -> stripe.Subscription:
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="http://localhost/billing/done?session={CHECKOUT_SESSION_ID}",
        cancel_url="http://localhost/billing",
        **extra,
    )
    fake.complete_checkout(session.id)
    done = stripe.checkout.Session.retrieve(session.id)
    return stripe.Subscription.retrieve(done.subscription)


def test_checkout_creates_a_paid_subscription(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    customer = stripe.Customer.create(email="owner@alpha.test", metadata={"company": "alpha"})
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": plans["pro"].id, "quantity": 1}],
        success_url="http://localhost/ok?session={CHECKOUT_SESSION_ID}",
        cancel_url="http://localhost/no",
        client_reference_id="alpha",
        metadata={"company": "alpha"},
        subscription_data={"metadata": {"company": "alpha"}},
    )
    assert session.status == "open"
    assert session.url.startswith(fake_stripe.url)
    assert session.amount_total == 3000
    assert session.customer == customer.id
    mark = fake_stripe.mark()
    fake_stripe.complete_checkout(session.id)
    types = [e["type"] for e in fake_stripe.events(since=mark)]
    for expected in ("checkout.session.completed", "customer.subscription.created", "invoice.paid"):
        assert expected in types
    done = stripe.checkout.Session.retrieve(session.id, expand=["line_items"])
    assert (done.status, done.payment_status, done.client_reference_id) == (
        "complete",
        "paid",
        "alpha",
    )
    assert done.line_items.data[0].price.id == plans["pro"].id
    sub = stripe.Subscription.retrieve(
        done.subscription,
        expand=["latest_invoice", "customer", "items.data.price", "default_payment_method"],
    )
    assert sub.status == "active"
    assert sub.metadata.to_dict() == {"company": "alpha"}
    assert sub.customer.id == customer.id
    assert sub.default_payment_method.card.last4 == "4242"
    item = sub["items"].data[0]
    assert item.price.unit_amount == 3000
    assert item.current_period_start == fake_stripe.now
    assert item.current_period_end > fake_stripe.now
    assert "current_period_end" not in sub  # the current API shape
    invoice = sub.latest_invoice
    assert (invoice.status, invoice.amount_due, invoice.amount_paid) == ("paid", 3000, 3000)
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.subscription == sub.id  # the legacy field dj-stripe reads
    assert invoice.hosted_invoice_url
    assert invoice.invoice_pdf
    assert invoice.lines.data[0].period.end == item.current_period_end


def test_checkout_with_customer_email_makes_a_customer(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="new@example.test")
    assert stripe.Customer.retrieve(sub.customer).email == "new@example.test"


def test_plan_change_with_proration_preview(fake_stripe: FakeStripe, plans: dict[str, Any]) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    fake_stripe.advance_clock(days=10)
    at = fake_stripe.now
    preview = stripe.Invoice.create_preview(
        customer=sub.customer,
        subscription=sub.id,
        subscription_details={
            "items": [{"id": item.id, "price": plans["business"].id}],
            "proration_behavior": "always_invoice",
            "proration_date": at,
        },
    )
    fraction = (end - at) / (end - start)
    credit, charge = round(3000 * fraction), round(6000 * fraction)
    assert [line.amount for line in preview.lines.data] == [-credit, charge]
    assert all(line.parent.subscription_item_details.proration for line in preview.lines.data)
    assert preview.amount_due == charge - credit
    assert preview.id.startswith("upcoming_in_")
    mark = fake_stripe.mark()
    updated = stripe.Subscription.modify(
        sub.id,
        items=[{"id": item.id, "price": plans["business"].id}],
        proration_behavior="always_invoice",
        proration_date=at,
    )
    assert updated["items"].data[0].price.id == plans["business"].id
    assert updated["items"].data[0].current_period_end == end  # same interval: same period
    latest = stripe.Invoice.retrieve(updated.latest_invoice)
    assert (latest.billing_reason, latest.amount_paid) == ("subscription_update", charge - credit)
    event = fake_stripe.events("customer.subscription.updated", since=mark)[0]
    assert "items" in event["data"]["previous_attributes"]
    assert event["request"]["id"] == updated.last_response.request_id


def test_create_prorations_wait_for_the_next_invoice(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    item = sub["items"].data[0]
    fake_stripe.advance_clock(days=15)
    stripe.Subscription.modify(sub.id, items=[{"id": item.id, "price": plans["business"].id}])
    pending = stripe.InvoiceItem.list(customer=sub.customer, pending=True).data
    assert len(pending) == 2
    assert all(ii.proration for ii in pending)
    upcoming = stripe.Invoice.create_preview(subscription=sub.id)
    assert upcoming.amount_due == sum(ii.amount for ii in pending) + 6000
    fake_stripe.renew(sub.id)
    renewal = stripe.Invoice.retrieve(stripe.Subscription.retrieve(sub.id).latest_invoice)
    assert (renewal.billing_reason, renewal.amount_paid) == (
        "subscription_cycle",
        upcoming.amount_due,
    )
    assert stripe.InvoiceItem.list(customer=sub.customer, pending=True).data == []


def test_interval_change_restarts_the_period(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    fake_stripe.advance_clock(days=3)
    updated = stripe.Subscription.modify(
        sub.id, items=[{"id": sub["items"].data[0].id, "price": plans["pro_year"].id}]
    )
    item = updated["items"].data[0]
    assert item.current_period_start == fake_stripe.now
    assert item.current_period_end - item.current_period_start >= 365 * 86400
    invoice = stripe.Invoice.retrieve(updated.latest_invoice)
    assert invoice.status == "paid"
    assert invoice.lines.data[-1].amount == 30000


def test_cancel_at_period_end_and_resume(fake_stripe: FakeStripe, plans: dict[str, Any]) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    end = sub["items"].data[0].current_period_end
    canceling = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert (canceling.cancel_at_period_end, canceling.cancel_at, canceling.status) == (
        True,
        end,
        "active",
    )
    assert canceling.cancellation_details.reason == "cancellation_requested"
    previous = fake_stripe.events("customer.subscription.updated")[-1]["data"][
        "previous_attributes"
    ]
    assert previous["cancel_at_period_end"] is False
    resumed = stripe.Subscription.modify(sub.id, cancel_at_period_end=False)
    assert (resumed.cancel_at_period_end, resumed.cancel_at, resumed.canceled_at) == (
        False,
        None,
        None,
    )
    stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    fake_stripe.advance_clock(to=end)
    ended = stripe.Subscription.retrieve(sub.id)
    assert ended.status == "canceled"
    assert ended.ended_at == end
    assert fake_stripe.events("customer.subscription.deleted")
    assert stripe.Subscription.list(customer=sub.customer).data == []
    assert len(stripe.Subscription.list(customer=sub.customer, status="all").data) == 1


def test_cancel_now_and_invoices_list(fake_stripe: FakeStripe, plans: dict[str, Any]) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    fake_stripe.renew(sub.id)
    invoices = stripe.Invoice.list(customer=sub.customer)
    assert [i.billing_reason for i in invoices.data] == [
        "subscription_cycle",
        "subscription_create",
    ]
    assert [i.status for i in stripe.Invoice.list(subscription=sub.id, status="paid").data] == [
        "paid",
        "paid",
    ]
    assert stripe.Invoice.list_lines(invoices.data[0].id).data[0].object == "line_item"
    canceled = stripe.Subscription.cancel(sub.id)
    assert canceled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.cancel(sub.id)


def test_billing_portal_session_and_hosted_pages(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    portal = stripe.billing_portal.Session.create(
        customer=sub.customer, return_url="http://localhost/back"
    )
    assert portal.id.startswith("bps_")
    assert portal.url.startswith(fake_stripe.url)
    page = requests.get(portal.url, timeout=5)
    assert page.status_code == 200
    assert "http://localhost/back" in page.text
    cancel = requests.post(f"{portal.url}/cancel/{sub.id}", timeout=5, allow_redirects=False)
    assert cancel.status_code == 303
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": plans["business"].id, "quantity": 1}],
        success_url="http://localhost/done?s={CHECKOUT_SESSION_ID}",
    )
    assert "Business" in requests.get(session.url, timeout=5).text
    paid = requests.post(
        f"{session.url}/complete",
        data={"email": "b@example.test"},
        timeout=5,
        allow_redirects=False,
    )
    assert paid.headers["Location"] == f"http://localhost/done?s={session.id}"
    assert stripe.checkout.Session.retrieve(session.id).status == "complete"


def test_trial_subscription_through_checkout(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    sub = checkout(
        fake_stripe,
        plans["pro"],
        customer_email="a@example.test",
        subscription_data={"trial_period_days": 14},
    )
    assert sub.status == "trialing"
    assert sub.trial_end == fake_stripe.now + 14 * 86400
    first = stripe.Invoice.retrieve(sub.latest_invoice)
    assert (first.amount_due, first.status) == (0, "paid")
    events = fake_stripe.advance_clock(days=11)
    assert [e["type"] for e in events] == ["customer.subscription.trial_will_end"]
    fake_stripe.advance_clock(days=3)
    active = stripe.Subscription.retrieve(sub.id)
    assert active.status == "active"
    assert active["items"].data[0].current_period_start == sub.trial_end
    assert stripe.Invoice.retrieve(active.latest_invoice).amount_paid == 3000


def test_subscription_item_update_and_list(fake_stripe: FakeStripe, plans: dict[str, Any]) -> None:
    sub = checkout(fake_stripe, plans["pro"], customer_email="a@example.test")
    item = stripe.SubscriptionItem.list(subscription=sub.id).data[0]
    updated = stripe.SubscriptionItem.modify(item.id, quantity=3, proration_behavior="none")
    assert updated.quantity == 3
    assert stripe.InvoiceItem.list(customer=sub.customer, pending=True).data == []
    assert stripe.Invoice.create_preview(subscription=sub.id).amount_due == 3 * 3000


def test_preview_of_a_new_subscription_and_nothing_to_invoice(
    fake_stripe: FakeStripe, plans: dict[str, Any]
) -> None:
    customer = stripe.Customer.create(email="a@example.test")
    preview = stripe.Invoice.create_preview(
        customer=customer.id, subscription_details={"items": [{"price": plans["pro_year"].id}]}
    )
    assert preview.amount_due == 30000
    assert preview.billing_reason == "subscription_create"
    with pytest.raises(stripe.InvalidRequestError) as nothing:
        stripe.Invoice.create_preview(customer=customer.id)
    assert nothing.value.code == "invoice_upcoming_none"
