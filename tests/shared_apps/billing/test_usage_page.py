"""The usage page (/billing/usage/): each limit with used / allowed, unlimited shown as such,
bars, the reset date in Europe/Sofia, upgrade buttons for owners, every member may see it,
and a query count that does not grow with the company's data."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils.formats import date_format
from django_tenants.utils import schema_context

from shared_apps.accounts.models import Invitation, User
from shared_apps.billing import entitlements as ent
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Company
from tenant_apps.crm.services.contacts import contact_create
from tests.conftest import client_for, host_client
from tests.factories import make_user
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def on_plan(company: Company, slug: str) -> None:
    Company.objects.filter(pk=company.pk).update(plan=Plan.objects.get(slug=slug))
    company.refresh_from_db()


def row(html: str, limit: str) -> str:
    match = re.search(rf'<tr id="usage-{limit}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, limit
    return " ".join(match.group(1).split())


def test_usage_against_the_plan(alpha: Company, owner: User) -> None:
    on_plan(alpha, "starter")  # 3 members, 5,000 contacts, 1 GB, 100 AI, 60 API
    with schema_context("alpha"):
        contact_create(actor=owner, last_name="One")
        contact_create(actor=owner, last_name="Two")
    member_of(alpha, "member")
    ent.storage_reserve(company=alpha, bytes=5 * ent.MB)
    ent.ai_request_take(company=alpha, n=3)
    response = client_for(owner).get("/billing/usage/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your plan: Starter." in html
    assert row(html, "seats").startswith('<th scope="row">Members</th> <td>2</td> <td>3</td>')
    assert '<meter min="0" max="3" value="2"' in row(html, "seats")
    assert "<td>2</td> <td>5,000</td>" in row(html, "contacts")
    assert "<td>5 MB</td> <td>1 GB</td>" in row(html, "storage")
    assert "<td>3</td> <td>100</td>" in row(html, "ai_requests")
    assert "<td>0</td> <td>60</td>" in row(html, "api_rate")
    _start, reset = ent.billing_period()
    assert f"Monthly counts start again on {date_format(reset, 'DATE_FORMAT')}" in html
    # Owners get upgrade buttons to the billing page, naming the plan with more room.
    assert '<a class="button" href="/billing/">Upgrade to Pro</a>' in row(html, "contacts")
    assert '<a class="button" href="/billing/">Change plan</a>' in html


def test_full_limit_is_marked(alpha: Company, owner: User) -> None:
    Plan.objects.filter(slug="starter").update(seats=1)
    on_plan(alpha, "starter")
    html = client_for(owner).get("/billing/usage/").content.decode()
    assert '<tr id="usage-seats" class="full">' in html
    assert "Limit reached" in row(html, "seats")


def test_unlimited_is_shown_as_such(alpha: Company, owner: User) -> None:
    on_plan(alpha, "enterprise")
    html = client_for(owner).get("/billing/usage/").content.decode()
    assert "<td>Unlimited</td> <td>No limit</td>" in row(html, "seats")
    assert "<td>Unlimited</td> <td>No limit</td>" in row(html, "contacts")
    assert "Upgrade" not in row(html, "contacts")
    assert "<td>100 GB</td>" in row(html, "storage")


def test_members_see_it_without_upgrade_buttons(alpha: Company) -> None:
    on_plan(alpha, "starter")
    for role in ("admin", "member", "viewer"):
        response = client_for(member_of(alpha, role)).get("/billing/usage/")
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "More with Pro: ask an owner." in row(html, "contacts")
        assert 'href="/billing/"' not in html


def test_strangers_and_bad_methods(alpha: Company, owner: User) -> None:
    assert client_for(make_user()).get("/billing/usage/").status_code == 404
    anonymous = host_client("alpha.localhost").get("/billing/usage/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert client_for(owner).post("/billing/usage/").status_code == 405


def test_no_strings_from_the_other_language_and_no_inline_style(
    alpha: Company, owner: User
) -> None:
    html = client_for(owner).get("/billing/usage/").content.decode()
    assert "style=" not in html
    assert "<script" not in html


def _queries(client: Client) -> int:
    client.get("/billing/usage/")  # warm routing and per-process caches
    with page_queries() as ctx:
        assert client.get("/billing/usage/").status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_constant(alpha: Company, owner: User) -> None:
    on_plan(alpha, "starter")
    client = client_for(owner)
    few = _queries(client)
    with schema_context("alpha"):
        for i in range(5):
            contact_create(actor=owner, last_name=f"P{i}")
    member_of(alpha, "member")
    Invitation.objects.create(
        company=alpha,
        email="i@example.test",
        role="member",
        token_hash="t" * 64,
        expires_at=alpha.created_at.replace(year=2100),
    )
    ent.storage_reserve(company=alpha, bytes=1)
    ent.ai_request_take(company=alpha)
    assert _queries(client) == few
    # The plan, the metered counters, members, open invitations, contacts, the listed plans;
    # the company switcher.
    assert few == PAGE_BASELINE + 7
