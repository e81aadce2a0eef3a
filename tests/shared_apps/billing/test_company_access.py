"""Only owners manage billing: admins, members and viewers get 403 with a message on every
billing URL and nothing reaches Stripe; strangers get 404; POSTs need the CSRF token; one
company never sees another's invoices or checkout sessions."""

from __future__ import annotations

import pytest
from django.test import Client
from djstripe import models as dj

from shared_apps.audit.models import PlatformEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.shared_apps.billing.company_support import (
    NON_OWNERS,
    client_for,
    member_of,
    owner_client,
    owner_of,
    priced_plans,
    subscribe,
)
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db

PLAN = {"plan": "t-pro", "interval": "monthly"}
REQUESTS = [
    ("get", "/billing/", {}),
    ("post", "/billing/subscribe/", PLAN),
    ("get", "/billing/checkout/done/", {"session_id": "cs_test_x"}),
    ("get", "/billing/change/", PLAN),
    ("post", "/billing/change/", {**PLAN, "token": "x"}),
    ("post", "/billing/cancel/", {}),
    ("post", "/billing/resume/", {}),
    ("post", "/billing/portal/", {}),
]
MESSAGE = "Only the company&#x27;s owners can manage billing and subscriptions."


@pytest.mark.parametrize("role", NON_OWNERS)
def test_non_owners_get_403_everywhere_and_nothing_reaches_stripe(
    djstripe_fake: FakeStripe, alpha: Company, role: str
) -> None:
    plans = priced_plans(djstripe_fake)
    subscribe(owner_client(alpha), djstripe_fake, plans.basic)
    sub = djstripe_fake.objects("subscription")[0]
    client = client_for(member_of(alpha, role), alpha)
    events = PlatformEvent.objects.count()
    calls = len(djstripe_fake.requests)
    for method, path, data in REQUESTS:
        response = getattr(client, method)(path, data)
        assert response.status_code == 403, (method, path)
        assert MESSAGE in response.content.decode(), (method, path)
    assert len(djstripe_fake.requests) == calls
    assert PlatformEvent.objects.count() == events
    assert djstripe_fake.get(sub["id"])["cancel_at_period_end"] is False


def test_strangers_get_404_and_anonymous_sign_in(djstripe_fake: FakeStripe, alpha: Company) -> None:
    # beta's owner on alpha's host: not a member (the middleware answers, as for every URL)
    stranger = client_for(owner_of(Company.objects.get(subdomain="beta")), alpha)
    for method, path, data in REQUESTS:
        assert getattr(stranger, method)(path, data).status_code == 404, path
    anonymous = host_client("alpha.localhost")
    response = anonymous.get("/billing/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert djstripe_fake.requests == []


def test_posts_need_the_csrf_token(djstripe_fake: FakeStripe, alpha: Company) -> None:
    priced_plans(djstripe_fake)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(owner_of(alpha))
    for path in ("/billing/subscribe/", "/billing/cancel/", "/billing/portal/", "/billing/change/"):
        assert client.post(path, PLAN).status_code == 403, path
    assert djstripe_fake.requests == []
    assert not dj.Customer.objects.filter(subscriber=alpha).exists()


def test_changes_need_post(djstripe_fake: FakeStripe, alpha: Company) -> None:
    client = owner_client(alpha)
    for path in ("/billing/subscribe/", "/billing/cancel/", "/billing/resume/", "/billing/portal/"):
        assert client.get(path).status_code == 405, path


def test_beta_never_sees_alphas_invoices_or_sessions(
    djstripe_fake: FakeStripe, alpha: Company, beta: Company
) -> None:
    plans = priced_plans(djstripe_fake)
    alpha_client = owner_client(alpha)
    subscribe(alpha_client, djstripe_fake, plans.basic)
    invoice = djstripe_fake.objects("invoice")[0]
    assert invoice["number"] in alpha_client.get("/billing/").content.decode()

    beta_client = owner_client(beta)
    html = beta_client.get("/billing/").content.decode()
    assert invoice["number"] not in html
    assert invoice["hosted_invoice_url"] not in html
    assert "No invoices yet." in html
    assert "Subscribe monthly" in html  # beta has no subscription of its own
    # alpha's checkout session is refused on beta's host, and syncs nothing for beta
    session = djstripe_fake.objects("checkout.session")[0]
    response = beta_client.get("/billing/checkout/done/", {"session_id": session["id"]})
    assert response.status_code == 400
    assert "This checkout session is unknown." in response.content.decode()
    # beta cannot cancel, change or open a portal with alpha's subscription or customer
    assert beta_client.post("/billing/cancel/").status_code == 400
    assert beta_client.post("/billing/portal/").status_code == 400
    assert not dj.Customer.objects.filter(subscriber=beta).exists()


def test_only_owners_see_the_billing_link(djstripe_fake: FakeStripe, alpha: Company) -> None:
    link = 'href="/billing/"'
    assert link in owner_client(alpha).get("/").content.decode()
    for role in NON_OWNERS:
        assert link not in client_for(member_of(alpha, role), alpha).get("/").content.decode()
