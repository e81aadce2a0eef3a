"""The company billing page against the fake Stripe: subscribe through Checkout, the page
with plan and invoices, plan change with its proration preview, cancel and resume, the
Customer Portal."""

from __future__ import annotations

import re

import pytest
import stripe
from django.core.cache import caches
from djstripe import models as dj

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.checkout import PRORATION_BEHAVIOR
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.company_support import (
    owner_client,
    owner_of,
    priced_plans,
    subscribe,
)
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


def actions(company: Company) -> list[str]:
    return list(
        PlatformEvent.objects.filter(company_id=company.pk, action__startswith="billing.")
        .exclude(action__in=["billing.state_moved", "billing.plan_changed"])
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_subscribe_through_checkout_then_the_page_shows_plan_and_invoice(
    djstripe_fake: FakeStripe, alpha: Company
) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    page = client.get("/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Basic Test", "Pro Test", "Subscribe monthly", "Subscribe yearly"):
        assert text in html
    assert "No invoices yet." in html

    response = client.post("/billing/subscribe/", {"plan": "t-basic", "interval": "yearly"})
    assert response.status_code == 303
    assert response["Location"].startswith(f"{djstripe_fake.url}/checkout/cs_")
    session_id = response["Location"].rsplit("/", 1)[1]
    session = djstripe_fake.get(session_id)
    customer = dj.Customer.objects.get(subscriber=alpha)
    assert customer.email == alpha.billing_email
    assert session["customer"] == customer.id
    assert djstripe_fake.get(customer.id)["metadata"]["djstripe_subscriber"] == str(alpha.pk)
    assert session["client_reference_id"] == str(alpha.pk)
    assert session["metadata"]["company_id"] == str(alpha.pk)
    assert session["mode"] == "subscription"
    assert session["success_url"] == (
        "http://alpha.localhost/billing/checkout/done/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session["cancel_url"] == "http://alpha.localhost/billing/"
    line = stripe.checkout.Session.list_line_items(session_id).data[0]
    assert line.price is not None
    assert line.price.id == plans.basic.stripe_price_yearly
    # A double click opens the same session (idempotency key), not a second one.
    again = client.post("/billing/subscribe/", {"plan": "t-basic", "interval": "yearly"})
    assert again["Location"] == response["Location"]

    done = djstripe_fake.complete_checkout(session_id)
    back = client.get(f"/billing/checkout/done/?session_id={session_id}")
    assert back.status_code == 303
    subscription = dj.Subscription.objects.get(id=done["subscription"])
    assert subscription.customer == customer
    alpha.refresh_from_db()
    assert alpha.billing_state == Company.BillingState.TRIALING  # only webhooks move it

    html = client.get("/billing/").content.decode()
    assert re.search(r'id="billing-plan">Basic Test <span class="muted">\(yearly\)', html)
    invoice = djstripe_fake.get(done["invoice"])
    assert invoice["number"] in html
    assert "€100" in html
    assert invoice["hosted_invoice_url"] in html
    assert invoice["invoice_pdf"] in html
    assert "Paid" in html
    assert "Renews on" in html
    assert "Current plan" in html
    assert "Switch to monthly" in html
    assert "Subscribe monthly" not in html
    client.get(f"/billing/checkout/done/?session_id={session_id}")  # a reload: audited once
    assert actions(alpha) == [
        "billing.checkout_started",
        "billing.checkout_started",
        "billing.checkout_completed",
    ]


def test_invoices_newest_first(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    djstripe_fake.renew(sub_id)
    dj.Customer.objects.get(subscriber=alpha)._sync_invoices(api_key=stripe.api_key)
    invoices = djstripe_fake.objects("invoice")  # newest first
    assert len(invoices) == 2
    html = client.get("/billing/").content.decode()
    assert html.index(invoices[0]["number"]) < html.index(invoices[1]["number"])


def test_change_plan_shows_the_proration_and_applies_it(
    djstripe_fake: FakeStripe, alpha: Company
) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    item = djstripe_fake.get(sub_id)["items"]["data"][0]
    start, end = item["current_period_start"], item["current_period_end"]
    djstripe_fake.advance_clock(days=10)
    at = djstripe_fake.now
    fraction = (end - at) / (end - start)
    due = round(3000 * fraction) - round(1000 * fraction)

    preview = client.get("/billing/change/", {"plan": "t-pro", "interval": "monthly"})
    assert preview.status_code == 200
    html = preview.content.decode()
    amount = f"€{due / 100:,.2f}"
    assert f"Due now: {amount}" in html
    assert "Move to the Pro Test plan, billed monthly." in html
    token = preview.context["preview"].token
    # A preview changes nothing.
    current = djstripe_fake.get(sub_id)["items"]["data"][0]["price"]["id"]
    assert current == plans.basic.stripe_price_monthly

    confirmed = client.post(
        "/billing/change/", {"plan": "t-pro", "interval": "monthly", "token": token}
    )
    assert confirmed.status_code == 303
    sub = djstripe_fake.get(sub_id)
    assert sub["items"]["data"][0]["price"]["id"] == plans.pro.stripe_price_monthly
    latest = djstripe_fake.get(sub["latest_invoice"])
    assert (latest["billing_reason"], latest["amount_paid"]) == ("subscription_update", due)
    synced = dj.Subscription.objects.get(id=sub_id)
    assert synced.stripe_data["items"]["data"][0]["price"]["id"] == plans.pro.stripe_price_monthly
    page = client.get("/billing/").content.decode()
    assert 'id="billing-plan">Pro Test' in page
    assert latest["number"] in page
    event = PlatformEvent.objects.get(company_id=alpha.pk, action="billing.plan_switched")
    assert event.actor == owner_of(alpha)
    assert event.data["to"] == "t-pro"
    assert PRORATION_BEHAVIOR == "always_invoice"


def test_change_to_yearly_restarts_the_period(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    preview = client.get("/billing/change/", {"plan": "t-basic", "interval": "yearly"})
    assert preview.status_code == 200
    token = preview.context["preview"].token
    assert preview.context["preview"].due_now > 0
    client.post("/billing/change/", {"plan": "t-basic", "interval": "yearly", "token": token})
    assert djstripe_fake.get(sub_id)["items"]["data"][0]["price"]["id"] == (
        plans.basic.stripe_price_yearly
    )
    assert "(yearly)" in client.get("/billing/").content.decode()


def test_cancel_at_period_end_and_resume(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)

    response = client.post("/billing/cancel/")
    assert response.status_code == 303
    assert djstripe_fake.get(sub_id)["cancel_at_period_end"] is True
    assert dj.Subscription.objects.get(id=sub_id).stripe_data["cancel_at_period_end"] is True
    html = client.get("/billing/").content.decode()
    assert "Your subscription ends on" in html
    assert "Resume subscription" in html
    assert "Cancel at the end of the period" not in html

    response = client.post("/billing/resume/")
    assert response.status_code == 303
    assert djstripe_fake.get(sub_id)["cancel_at_period_end"] is False
    html = client.get("/billing/").content.decode()
    assert "Your subscription ends on" not in html
    assert "Renews on" in html
    assert "Cancel at the end of the period" in html
    assert actions(alpha)[-2:] == ["billing.cancel_requested", "billing.resumed"]


def test_portal_redirects_to_stripe(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    subscribe(client, djstripe_fake, plans.basic)
    response = client.post("/billing/portal/")
    assert response.status_code == 303
    assert response["Location"].startswith(djstripe_fake.url)
    portal = djstripe_fake.objects("billing_portal.session")[0]
    assert portal["customer"] == dj.Customer.objects.get(subscriber=alpha).id
    assert portal["return_url"] == "http://alpha.localhost/billing/"
    assert actions(alpha)[-1] == "billing.portal_opened"


def test_trial_days_left_are_counted_in_sofia(djstripe_fake: FakeStripe, alpha: Company) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from django.utils.formats import date_format

    from shared_apps.billing.company_page import trial_days_left
    from tests.shared_apps.billing.factories import put_in_state

    sofia = ZoneInfo("Europe/Sofia")
    # 23:30 in Sofia on the 10th is the 10th there (21:30 UTC); the trial ends on the 12th.
    now = datetime(2026, 3, 10, 23, 30, tzinfo=sofia)
    ends = datetime(2026, 3, 12, 0, 30, tzinfo=sofia)
    assert trial_days_left(ends, now) == 2
    assert trial_days_left(now, now) == 0
    ends_at = timezone.now() + timedelta(days=5, hours=1)
    put_in_state(alpha, "trialing", trial_ends_at=ends_at)
    html = owner_client(alpha).get("/billing/").content.decode()
    day = ends_at.astimezone(sofia)
    shown = re.search(r'id="billing-trial">([^<]*)<', html)
    assert shown is not None
    assert " ".join(shown.group(1).split()) == f"5 days left, until {date_format(day.date())}."
    assert "Subscribing ends the free trial" in html


def test_downgrade_preview_shows_the_credit(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.pro)
    djstripe_fake.advance_clock(days=10)
    preview = client.get("/billing/change/", {"plan": "t-basic", "interval": "monthly"})
    assert preview.status_code == 200
    shown = preview.context["preview"]
    assert shown.due_now == 0
    assert shown.credit > 0
    html = preview.content.decode()
    assert "Due now: €0" in html
    assert "will be credited to your balance" in html
    response = client.post(
        "/billing/change/", {"plan": "t-basic", "interval": "monthly", "token": shown.token}
    )
    assert response.status_code == 303
    assert djstripe_fake.get(sub_id)["items"]["data"][0]["price"]["id"] == (
        plans.basic.stripe_price_monthly
    )
    customer = djstripe_fake.get(djstripe_fake.get(sub_id)["customer"])
    assert customer["balance"] == -shown.credit


def test_past_due_shows_the_warning_and_the_open_invoice_to_pay(
    djstripe_fake: FakeStripe, alpha: Company
) -> None:
    from tests.shared_apps.billing.factories import put_in_state

    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    customer = dj.Customer.objects.get(subscriber=alpha)
    djstripe_fake.fail_next_payment(customer.id)
    djstripe_fake.renew(sub_id)
    customer._sync_invoices(api_key=stripe.api_key)
    put_in_state(alpha, Company.BillingState.PAST_DUE)
    caches["default"].clear()  # routing's cached company (put_in_state bypasses save())
    open_invoice = djstripe_fake.objects("invoice")[0]
    assert open_invoice["status"] == "open"
    html = client.get("/billing/").content.decode()
    assert "A payment failed." in html
    assert 'id="billing-state" class="state-past_due">Past due' in html
    assert (
        f'<a href="{open_invoice["hosted_invoice_url"]}" rel="noopener noreferrer">Pay</a>' in html
    )


def test_the_page_renders_in_bulgarian(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    subscribe(client, djstripe_fake, plans.basic)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "bg"
    response = client.get("/billing/")
    assert response.status_code == 200
    assert 'lang="bg"' in response.content.decode()


def test_return_before_the_payment_completes(djstripe_fake: FakeStripe, alpha: Company) -> None:
    priced_plans(djstripe_fake)
    client = owner_client(alpha)
    response = client.post("/billing/subscribe/", {"plan": "t-pro", "interval": "monthly"})
    session_id = response["Location"].rsplit("/", 1)[1]
    back = client.get("/billing/checkout/done/", {"session_id": session_id}, follow=True)
    assert back.redirect_chain == [("/billing/", 303)]
    assert "Your payment is still being processed." in back.content.decode()
    assert not dj.Subscription.objects.filter(customer__subscriber=alpha).exists()
    assert "billing.checkout_completed" not in actions(alpha)
