"""Bad input on the billing page: a clear message in the user's language, a 4xx, nothing
changed in Stripe or here. Stripe down: 503 with a message, nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation
from djstripe import models as dj

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.checkout import billing_customer_get_or_create
from shared_apps.billing.models import Plan
from shared_apps.billing.selectors import plan_trial_get
from shared_apps.billing.stripe_sync import api_key
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.company_support import (
    owner_client,
    priced_plans,
    subscribe,
)
from tests.shared_apps.billing.factories import make_plan
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


def unpriced() -> Plan:
    return make_plan(slug="t-unpriced", name_en="Unpriced")


def html(response: Any) -> str:
    return str(response.content.decode())


def state(fake: FakeStripe, company: Company) -> tuple[int, int, int, int]:
    return (
        len(fake.objects("checkout.session")),
        len(fake.objects("customer")),
        dj.Customer.objects.filter(subscriber=company).count(),
        PlatformEvent.objects.filter(company_id=company.pk).count(),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"plan": "nope", "interval": "monthly"}, "There is no such plan to choose."),
        ({"plan": "", "interval": "monthly"}, "There is no such plan to choose."),
        ({"plan": "TRIAL", "interval": "monthly"}, "The trial cannot be bought."),
        ({"plan": "t-unpriced", "interval": "monthly"}, "cannot be bought monthly yet."),
        ({"plan": "t-pro", "interval": "weekly"}, "Choose monthly or yearly billing."),
        ({"plan": "t-pro"}, "Choose monthly or yearly billing."),
        ({"plan": "t-hidden", "interval": "monthly"}, "There is no such plan to choose."),
    ],
)
def test_subscribe_bad_input(
    djstripe_fake: FakeStripe, alpha: Company, data: dict[str, str], message: str
) -> None:
    priced_plans(djstripe_fake)
    unpriced()
    hidden = djstripe_fake.create_price(500, name="Hidden")
    make_plan(slug="t-hidden", is_public=False, stripe_price_monthly=hidden["id"])
    if data.get("plan") == "TRIAL":
        data = {**data, "plan": plan_trial_get().slug}
    before = state(djstripe_fake, alpha)
    response = owner_client(alpha).post("/billing/subscribe/", data)
    assert response.status_code == 400
    assert message in html(response)
    assert state(djstripe_fake, alpha) == before


def test_messages_are_in_the_users_language(djstripe_fake: FakeStripe, alpha: Company) -> None:
    client = owner_client(alpha)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "bg"
    response = client.post("/billing/subscribe/", {"plan": "nope", "interval": "monthly"})
    assert response.status_code == 400
    with translation.override("bg"):
        expected = translation.gettext("There is no such plan to choose.")
    assert expected in html(response)


def test_subscribe_twice_is_refused(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    subscribe(client, djstripe_fake, plans.basic)
    sessions = len(djstripe_fake.objects("checkout.session"))
    response = client.post("/billing/subscribe/", {"plan": "t-pro", "interval": "monthly"})
    assert response.status_code == 400
    assert "already has a subscription" in html(response)
    assert len(djstripe_fake.objects("checkout.session")) == sessions


def test_actions_without_a_subscription(djstripe_fake: FakeStripe, alpha: Company) -> None:
    priced_plans(djstripe_fake)
    client = owner_client(alpha)
    for method, path, data in [
        ("post", "/billing/cancel/", {}),
        ("post", "/billing/resume/", {}),
        ("get", "/billing/change/", {"plan": "t-pro", "interval": "monthly"}),
        ("post", "/billing/change/", {"plan": "t-pro", "interval": "monthly", "token": "x"}),
    ]:
        response = getattr(client, method)(path, data)
        assert response.status_code == 400, path
        assert "no subscription to change" in html(response), path
    response = client.post("/billing/portal/")
    assert response.status_code == 400
    assert "no billing account yet" in html(response)
    assert djstripe_fake.requests == []
    assert not PlatformEvent.objects.filter(
        company_id=alpha.pk, action__startswith="billing."
    ).exists()


def test_change_bad_input(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    unpriced()
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    cases = [
        ({"plan": "t-basic", "interval": "monthly"}, "already on this plan"),
        ({"plan": "nope", "interval": "monthly"}, "There is no such plan to choose."),
        ({"plan": plan_trial_get().slug, "interval": "monthly"}, "The trial cannot be bought."),
        ({"plan": "t-unpriced", "interval": "yearly"}, "cannot be bought yearly yet."),
        ({"plan": "t-pro", "interval": ""}, "Choose monthly or yearly billing."),
    ]
    for data, message in cases:
        for method in ("get", "post"):
            response = getattr(client, method)("/billing/change/", {**data, "token": "x"})
            assert response.status_code == 400, (method, data)
            assert message in html(response), (method, data)
    # A forged or another plan's token is refused.
    preview = client.get("/billing/change/", {"plan": "t-pro", "interval": "monthly"})
    token = preview.context["preview"].token
    for data in (
        {"plan": "t-pro", "interval": "monthly", "token": "forged"},
        {"plan": "t-pro", "interval": "monthly"},
        {"plan": "t-pro", "interval": "yearly", "token": token},
    ):
        response = client.post("/billing/change/", data)
        assert response.status_code == 400
        assert "The preview has expired." in html(response)
    price = djstripe_fake.get(sub_id)["items"]["data"][0]["price"]["id"]
    assert price == plans.basic.stripe_price_monthly
    assert not PlatformEvent.objects.filter(action="billing.plan_switched").exists()


def test_cancel_twice_and_resume_without_cancel(djstripe_fake: FakeStripe, alpha: Company) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    subscribe(client, djstripe_fake, plans.basic)
    response = client.post("/billing/resume/")
    assert response.status_code == 400
    assert "The subscription is not set to end." in html(response)
    assert client.post("/billing/cancel/").status_code == 303
    response = client.post("/billing/cancel/")
    assert response.status_code == 400
    assert "already ends at the end of the period" in html(response)


def test_bad_checkout_return(djstripe_fake: FakeStripe, alpha: Company) -> None:
    client = owner_client(alpha)
    for session_id in ("", "nope", "cs_test_unknown"):
        response = client.get("/billing/checkout/done/", {"session_id": session_id})
        assert response.status_code == 400
        assert "This checkout session is unknown." in html(response)


def test_stripe_down_on_subscribe_writes_nothing(djstripe_fake: FakeStripe, alpha: Company) -> None:
    priced_plans(djstripe_fake)
    before = state(djstripe_fake, alpha)
    djstripe_fake.set_down(True)
    response = owner_client(alpha).post(
        "/billing/subscribe/", {"plan": "t-pro", "interval": "monthly"}
    )
    assert response.status_code == 503
    assert "did not answer. Nothing was changed" in html(response)
    djstripe_fake.set_down(False)
    assert state(djstripe_fake, alpha) == before
    assert before[:3] == (0, 0, 0)


def test_stripe_down_after_the_customer_was_created(
    djstripe_fake: FakeStripe, alpha: Company
) -> None:
    """A customer made by an earlier attempt stays (a true copy of Stripe's); the failed
    attempt leaves no session and no audit row; the retry uses that customer."""
    priced_plans(djstripe_fake)
    client = owner_client(alpha)
    billing_customer_get_or_create(company=alpha, key=api_key())
    before = state(djstripe_fake, alpha)
    assert before[:3] == (0, 1, 1)
    djstripe_fake.set_down(True, mode="disconnect")
    response = client.post("/billing/subscribe/", {"plan": "t-pro", "interval": "monthly"})
    assert response.status_code == 503
    djstripe_fake.set_down(False)
    assert state(djstripe_fake, alpha) == before
    response = client.post("/billing/subscribe/", {"plan": "t-pro", "interval": "monthly"})
    assert response.status_code == 303
    assert len(djstripe_fake.objects("customer")) == 1
    assert dj.Customer.objects.filter(subscriber=alpha).count() == 1


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/billing/cancel/", {}),
        ("get", "/billing/change/", {"plan": "t-pro", "interval": "monthly"}),
        ("post", "/billing/portal/", {}),
        ("get", "/billing/checkout/done/", {"session_id": "cs_test_x"}),
    ],
)
def test_stripe_down_on_actions(
    djstripe_fake: FakeStripe, alpha: Company, method: str, path: str, data: dict[str, str]
) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    events = PlatformEvent.objects.count()
    djstripe_fake.set_down(True)
    response = getattr(client, method)(path, data)
    assert response.status_code == 503
    assert "Stripe, our payment provider, did not answer." in html(response)
    djstripe_fake.set_down(False)
    assert PlatformEvent.objects.count() == events
    assert djstripe_fake.get(sub_id)["cancel_at_period_end"] is False
