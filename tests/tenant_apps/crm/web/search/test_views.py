"""The search page and the dialog's results partial."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, Organization
from tests.conftest import host_client
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def _client(user: User) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _add(n: int, start: int = 0) -> None:
    with schema_context("alpha"):
        pipeline = default_pipeline()
        stage = pipeline.stages.get(position=1)
        for i in range(start, start + n):
            org = Organization.objects.create(name=f"Acme {i}", domain=f"acme{i}.test")
            Contact.objects.create(first_name="Acme", last_name=f"Person {i}", organization=org)
            Deal.objects.create(
                name=f"Acme deal {i}", pipeline=pipeline, stage=stage, organization=org
            )


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm per-process caches
    with page_queries() as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_page_groups_results_and_links_to_records(alpha: Company, viewer: User) -> None:
    with schema_context("alpha"):
        org = Organization.objects.create(name="Балкан Софт ЕООД", domain="balkansoft.bg")
        person = Contact.objects.create(first_name="Иван", last_name="Балканов", organization=org)
        deal = Deal.objects.create(
            name="Балкан лиценз",
            pipeline=default_pipeline(),
            stage=default_pipeline().stages.get(position=1),
            organization=org,
        )
    response = _client(viewer).get("/search/", {"q": "balkan"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="page-group-organization"') < html.index('id="page-group-contact"')
    assert html.index('id="page-group-contact"') < html.index('id="page-group-deal"')
    assert f'href="/organizations/{org.pk}/"' in html
    assert f'href="/contacts/{person.pk}/"' in html
    assert f'href="/deals/{deal.pk}/"' in html
    assert "Иван Балканов" in html


def test_results_partial_is_a_fragment(alpha: Company, member: User) -> None:
    _add(2)
    response = _client(member).get("/search/results/", {"q": "acme"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="dialog-group-contact"' in html
    assert 'href="/search/?q=acme"' in html


@pytest.mark.parametrize("query", ["", "a", "  b  "])
def test_short_query_shows_a_hint_and_runs_no_search(
    alpha: Company, member: User, query: str
) -> None:
    client = _client(member)
    client.get("/search/results/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/search/results/", {"q": query})
    assert response.status_code == 200
    assert "Type at least two" in response.content.decode()
    assert not [q for q in ctx.captured_queries if "crm_contact" in q["sql"]]


@pytest.mark.parametrize("path", ["/search/", "/search/results/"])
def test_too_long_query_is_a_400_with_a_message(alpha: Company, member: User, path: str) -> None:
    response = _client(member).get(path, {"q": "x" * 201})
    assert response.status_code == 400
    assert "too long" in response.content.decode()


def test_nothing_found(alpha: Company, member: User) -> None:
    response = _client(member).get("/search/", {"q": "qqqxxx"})
    assert "Nothing found for “qqqxxx”" in response.content.decode()


def test_names_are_escaped(alpha: Company, member: User) -> None:
    with schema_context("alpha"):
        Organization.objects.create(name=f"Evil {XSS}")
        Contact.objects.create(first_name="Evil", last_name=XSS)
    for path in ("/search/", "/search/results/"):
        html = _client(member).get(path, {"q": "evil"}).content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = _client(member).get("/search/", {"q": f"evil {XSS}"}).content.decode()
    assert XSS not in html


def test_topbar_has_the_search_box_and_dialog(alpha: Company, member: User) -> None:
    html = _client(member).get("/search/").content.decode()
    assert 'id="search-topbar-q"' in html
    assert '<dialog id="search-dialog"' in html
    assert 'data-results-url="/search/results/"' in html
    assert "<script>" not in html
    assert "style=" not in html
    assert " onclick" not in html


@pytest.mark.parametrize("path", ["/search/?q=acme", "/search/results/?q=acme"])
def test_query_count_does_not_grow_with_matches(alpha: Company, member: User, path: str) -> None:
    client = _client(member)
    _add(3)
    few = _queries(client, path)
    _add(30, start=3)
    assert _queries(client, path) == few
    assert few == (EXPECTED_PAGE if path.startswith("/search/?") else EXPECTED_PARTIAL)


# The access check, the trigram setting, the one search statement. The page adds the
# layout's company switcher.
EXPECTED_PARTIAL = PAGE_BASELINE + 3
EXPECTED_PAGE = PAGE_BASELINE + 4


def test_other_companies_records_never_appear(alpha: Company, beta: Company, member: User) -> None:
    with schema_context("beta"):
        Organization.objects.create(name="Beta Hidden Corp")
    with schema_context("alpha"):
        Organization.objects.create(name="Alpha Visible Corp")
    html = _client(member).get("/search/", {"q": "corp"}).content.decode()
    assert "Alpha Visible Corp" in html
    assert "Beta Hidden Corp" not in html


def test_post_is_refused(alpha: Company, member: User) -> None:
    assert _client(member).post("/search/", {"q": "acme"}).status_code == 405
