"""Billing enforcement on a company host: a company at each billing state tries writes on
screens and under /api/, reads, exports, billing, account and language pages; the banner;
no extra query on a CRM page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Organization
from tenant_apps.crm.services.contacts import contact_create
from tests.conftest import client_for, host_client
from tests.query_budget import page_queries
from tests.shared_apps.billing.factories import put_in_state
from tests.tenant_apps.crm.factories import member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

State = Company.BillingState


def set_state(company: Company, to: str, *, days_ago: int = 1) -> Company:
    """Put `company` in `to` (the test's transaction undoes it) and drop routing's copy."""
    put_in_state(company, to, since=timezone.now() - timedelta(days=days_ago))
    caches["default"].clear()
    return company


def create_org(client: Client, name: str = "Acme") -> Any:
    return client.post("/organizations/new/", {"name": name})


def orgs(alpha: Company, name: str = "Acme") -> int:
    with schema_context(alpha.schema_name):
        return Organization.objects.filter(name=name).count()


@pytest.mark.parametrize("state", [State.TRIALING, State.ACTIVE, State.PAST_DUE])
def test_states_in_good_standing_write(alpha: Company, owner: User, state: str) -> None:
    set_state(alpha, state)
    response = create_org(client_for(owner))
    assert response.status_code == 302
    assert orgs(alpha) == 1


def test_read_only_refuses_screen_writes_with_a_link_to_pay(alpha: Company, owner: User) -> None:
    set_state(alpha, State.READ_ONLY)
    response = create_org(client_for(owner))
    assert response.status_code == 402
    html = response.content.decode()
    assert "read-only" in html
    assert 'href="/billing/"' in html
    assert "billing-banner" not in html  # the page says it; no banner on top
    assert orgs(alpha) == 0


def test_read_only_refuses_other_unsafe_methods(alpha: Company, owner: User) -> None:
    set_state(alpha, State.READ_ONLY)
    client = client_for(owner)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/organizations/new/").status_code == 402
    assert client.post("/team/").status_code == 402


def test_read_only_api_write_is_402_json(alpha: Company, owner: User) -> None:
    set_state(alpha, State.READ_ONLY)
    client = client_for(owner)
    response = client.post("/api/v1/contacts/", {"last_name": "Doe"})
    assert response.status_code == 402
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "billing_read_only"
    assert "read-only" in body["detail"]
    # Reads under /api/ pass on (no API is mounted yet: 404, not 402).
    assert client.get("/api/v1/contacts/").status_code == 404


def test_read_only_reads_exports_billing_account_and_language(alpha: Company, owner: User) -> None:
    set_state(alpha, State.READ_ONLY)
    client = client_for(owner)
    page = client.get("/organizations/")
    assert page.status_code == 200
    assert "billing-banner--read_only" in page.content.decode()
    assert client.get("/contacts/").status_code == 200
    export = client.get("/contacts/export/")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert client.get("/billing/usage/").status_code == 200
    # Writes that stay open: billing pages (the billing page answers 405 to a bare POST; never 402),
    # the language switch, account pages and signing out.
    assert client.post("/billing/", {}).status_code != 402
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.get("/accounts/email/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_read_only_member_is_told_to_ask_the_owner(alpha: Company) -> None:
    member = member_of(alpha, "member")
    set_state(alpha, State.READ_ONLY)
    client = client_for(member)
    html = client.get("/organizations/").content.decode()
    assert "Ask an owner of the company to update the payment." in html
    assert 'href="/billing/"' not in html
    refused = create_org(client)
    assert refused.status_code == 402
    assert "Ask an owner" in refused.content.decode()


def test_suspended_sends_screens_to_billing(alpha: Company, owner: User) -> None:
    set_state(alpha, State.SUSPENDED)
    client = client_for(owner)
    for path in ("/", "/organizations/", "/contacts/", "/team/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/billing/"), path
    response = create_org(client)
    assert (response.status_code, response["Location"]) == (302, "/billing/")
    assert orgs(alpha) == 0


def test_suspended_keeps_billing_exports_and_account(alpha: Company, owner: User) -> None:
    set_state(alpha, State.SUSPENDED)
    client = client_for(owner)
    assert client.get("/billing/usage/").status_code == 200
    for entity in ("organizations", "contacts", "deals", "activities"):
        assert client.get(f"/{entity}/export/").status_code == 200, entity
    assert client.get("/accounts/email/").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302


def test_suspended_api_is_402_json(alpha: Company, owner: User) -> None:
    set_state(alpha, State.SUSPENDED)
    client = client_for(owner)
    for response in (client.get("/api/v1/contacts/"), client.post("/api/v1/contacts/")):
        assert response.status_code == 402
        assert response.json()["code"] == "billing_suspended"


def test_canceled_shows_the_canceled_page_with_the_retention_date(
    alpha: Company, owner: User, settings: Any
) -> None:
    settings.BILLING_CANCELED_RETENTION_DAYS = 30
    set_state(alpha, State.CANCELED, days_ago=2)
    client = client_for(owner)
    kept_until = timezone.localtime(alpha.billing_state_changed_at + timedelta(days=30)).date()
    for path in ("/", "/organizations/", "/billing/usage/"):
        response = client.get(path)
        assert response.status_code == 402, path
        html = response.content.decode()
        assert "Alpha Ltd was canceled" in html
        assert f"kept until at least {date_format(kept_until, 'DATE_FORMAT')}" in html
    assert create_org(client).status_code == 402
    assert orgs(alpha) == 0
    api = client.post("/api/v1/contacts/")
    assert (api.status_code, api.json()["code"]) == (402, "billing_canceled")
    assert client.get("/accounts/email/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_other_company_and_public_host_are_untouched(
    alpha: Company, beta: Company, owner: User
) -> None:
    set_state(alpha, State.SUSPENDED)
    beta_owner = beta.memberships.get(role="owner").user
    beta_client = host_client("beta.localhost", HTTP_ACCEPT_LANGUAGE="en")
    beta_client.force_login(beta_owner)
    assert beta_client.get("/organizations/").status_code == 200
    assert host_client("localhost").get("/pricing/").status_code == 200


def test_past_due_banner_counts_days_in_sofia(alpha: Company, owner: User, settings: Any) -> None:
    settings.BILLING_PAST_DUE_GRACE_DAYS = 7
    set_state(alpha, State.PAST_DUE, days_ago=2)
    html = client_for(owner).get("/organizations/").content.decode()
    deadline = timezone.localtime(alpha.billing_state_changed_at + timedelta(days=7)).date()
    days = (deadline - timezone.localdate()).days
    assert days == 5
    on = date_format(deadline, "DATE_FORMAT")
    assert f"A payment is overdue. In 5 days, on {on}, this company becomes read-only." in html
    assert "billing-banner--past_due" in html
    assert '<a class="button" href="/billing/">Pay now</a>' in html


def test_past_due_banner_last_day(alpha: Company, owner: User) -> None:
    set_state(alpha, State.PAST_DUE, days_ago=7)
    html = client_for(owner).get("/organizations/").content.decode()
    assert "This company becomes read-only today." in html


def test_suspended_banner_on_the_usage_page(alpha: Company, owner: User) -> None:
    set_state(alpha, State.SUSPENDED)
    html = client_for(owner).get("/billing/usage/").content.decode()
    assert "This company is suspended" in html


def test_trial_banner_calm_then_urgent_in_the_last_days(alpha: Company, owner: User) -> None:
    put_in_state(alpha, State.TRIALING, trial_ends_at=timezone.now() + timedelta(days=10))
    caches["default"].clear()
    html = client_for(owner).get("/organizations/").content.decode()
    # the whole trial: days left, calmly (a status, not an alert)
    assert 'billing-banner--trialing" role="status"' in html
    assert "Free trial: 10 days left" in html
    assert "Choose a plan" in html
    put_in_state(alpha, State.TRIALING, trial_ends_at=timezone.now() + timedelta(days=2, hours=1))
    caches["default"].clear()
    html = client_for(owner).get("/organizations/").content.decode()
    assert 'billing-banner--trial_ending" role="alert"' in html
    assert "The free trial ends in" in html
    assert "Choose a plan" in html
    put_in_state(alpha, State.TRIALING, trial_ends_at=timezone.now() - timedelta(hours=1))
    caches["default"].clear()
    assert "billing-banner" not in client_for(owner).get("/organizations/").content.decode()


def test_active_company_has_no_banner(alpha: Company, owner: User) -> None:
    set_state(alpha, State.ACTIVE)
    assert "billing-banner" not in client_for(owner).get("/organizations/").content.decode()


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm routing and per-process caches
    with page_queries() as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_enforcement_and_banner_cost_no_query(alpha: Company, owner: User) -> None:
    with schema_context("alpha"):
        contact = contact_create(actor=owner, last_name="Doe")
    path = f"/contacts/{contact.pk}/"
    counts = {}
    for state in (State.ACTIVE, State.PAST_DUE, State.READ_ONLY):
        set_state(alpha, state)
        counts[state] = _queries(client_for(owner), path)
    assert counts[State.ACTIVE] == counts[State.PAST_DUE] == counts[State.READ_ONLY]
