"""The public pricing page: plans in order, monthly or yearly, both languages, few queries."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from shared_apps.billing.models import Plan
from shared_apps.billing.pricing import money, plan_limits, plan_price, storage
from tests.conftest import host_client
from tests.factories import make_user
from tests.shared_apps.billing.factories import make_plan

NBSP = "\N{NO-BREAK SPACE}"
PRICING_QUERIES = 2


def _get(language: str = "en", query: str = "", client: Client | None = None) -> str:
    client = client or host_client("localhost")
    response = client.get(f"/pricing/{query}", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def _cards(body: str) -> list[str]:
    return re.findall(r'<li class="plan card" id="plan-([\w-]+)"', body)


@pytest.mark.django_db
class TestPricingPage:
    def test_lists_the_public_plans_in_order_in_english(self) -> None:
        body = _get("en")
        assert '<html lang="en">' in body
        assert _cards(body) == ["starter", "pro", "enterprise"]
        assert "Free trial" not in body  # the trial is the offer, not a card
        assert "free trial of 14 days. No card needed." in body
        assert "€19" in body
        assert "per month" in body
        assert "3 members" in body
        assert "5,000 contacts" in body
        assert "1 GB of file storage" in body
        assert "100 AI assistant requests a month" in body
        assert "API: 60 requests a minute" in body
        assert "Unlimited members" in body  # Enterprise
        assert "Single sign-on (SSO) for your team" in body

    def test_renders_in_bulgarian(self) -> None:
        body = _get("bg")
        assert '<html lang="bg">' in body
        # plan names and descriptions are data in both languages
        assert "Старт" in body
        assert "Корпоративен" in body
        assert "За малък екип, който подрежда продажбите си." in body
        assert "Starter" not in body
        # numbers are grouped the Bulgarian way
        assert f"5{NBSP}000" in body
        assert "5,000" not in body

    def test_yearly_prices_without_javascript(self) -> None:
        body = _get("en", "?period=yearly")
        assert "€190" in body
        assert "per year" in body
        assert "You save €38 a year." in body
        assert 'href="?period=yearly" aria-current="page"' in body
        assert 'href="?period=monthly" aria-current' not in body

    def test_an_unknown_period_shows_monthly(self) -> None:
        body = _get("en", "?period=weekly")
        assert 'href="?period=monthly" aria-current="page"' in body
        assert "€19" in body

    def test_hidden_plans_are_not_listed(self) -> None:
        make_plan(slug="legacy", is_public=False)
        assert "legacy" not in _cards(_get())

    def test_no_inline_script_or_style_and_no_cdn(self) -> None:
        body = _get()
        assert "<script" not in body
        assert "<style" not in body
        assert " style=" not in body
        assert not re.search(r" on[a-z]+=", body)
        assert "/static/billing/pricing.css" in body
        assert "https://" not in body

    def test_start_trial_goes_to_sign_up_or_straight_to_create_company(self) -> None:
        assert 'href="/accounts/signup/"' in _get()
        person = host_client("localhost")
        person.force_login(make_user())
        body = _get(client=person)
        assert 'href="/welcome/"' in body
        assert 'href="/accounts/signup/"' not in body

    def test_is_on_the_public_host_only(self, alpha_client: Client) -> None:
        assert alpha_client.get("/pricing/").status_code in (302, 404)

    def test_the_landing_page_links_to_it(self) -> None:
        body = host_client("localhost").get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'href="/pricing/"' in body

    def test_query_count_does_not_grow_with_plans(
        self, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        client = host_client("localhost")
        client.get("/pricing/")  # warm per-process caches
        # routing's SET search_path, then the plans (trial offer included)
        with django_assert_num_queries(PRICING_QUERIES):
            body = _get(client=client)
        assert len(_cards(body)) == 3
        for _ in range(5):
            make_plan()
        with django_assert_num_queries(PRICING_QUERIES):
            body = _get(client=client)
        assert len(_cards(body)) == 8


@pytest.mark.django_db
class TestPresentation:
    def test_money(self) -> None:
        with translation.override("en"):
            assert money(1_900) == "€19"
            assert money(149_000) == "€1,490"
            assert money(1_550) == "€15.50"
            assert money(1_000, "BGN") == f"BGN{NBSP}10"
        with translation.override("bg"):
            assert money(149_000).replace(NBSP, " ") in ("€1 490", "1 490 €")
            assert money(1_550) in ("€15,50", f"15,50{NBSP}€")

    def test_storage(self) -> None:
        with translation.override("en"):
            assert storage(1_024) == "1 GB"
            assert storage(102_400) == "100 GB"
            assert storage(500) == "500 MB"

    def test_free_and_monthly_only_plans(self) -> None:
        with translation.override("en"):
            free = Plan(price_monthly_cents=0, price_yearly_cents=None)
            assert plan_price(free, "monthly").amount == "Free"
            monthly_only = Plan(price_monthly_cents=900, price_yearly_cents=None)
            price = plan_price(monthly_only, "yearly")
            assert (price.amount, price.per, price.note) == (
                "€9",
                "per month",
                "Billed monthly only.",
            )

    def test_limits_of_a_plan_without_ai_or_api(self) -> None:
        plan = Plan(seats=1, contacts=None, storage_mb=None, features={"ai": False})
        with translation.override("en"):
            assert plan_limits(plan) == [
                "1 member",
                "Unlimited contacts",
                "Unlimited file storage",
            ]
