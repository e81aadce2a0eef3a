"""Deal amounts in the list and its CSV export: always with their currency, filtered within a
currency, sorted within their currency (keyset pages over (currency, amount, id), served by
an index)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.listing import keyset
from tenant_apps.crm.listing import query as lq
from tenant_apps.crm.listing.entities import DEALS
from tenant_apps.crm.models import Deal
from tests.conftest import host_client
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
NBSP = "\u00a0"


def _deals(*rows: tuple[str, str, str]) -> list[Deal]:
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position")[0]
    return Deal.objects.bulk_create(
        Deal(name=name, amount=Decimal(amount), currency=currency, pipeline=pipeline, stage=stage)
        for name, amount, currency in rows
    )


def _cells(response: Any, column: int = 1) -> list[str]:
    return [row.cells[column][1] for row in response.context["rows"]]


def _client(user: User, language: str) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("language", "usd", "eur"),
    [
        ("en", "$24,800.00", "€1,234.56"),
        ("bg", f"24{NBSP}800,00{NBSP}$", f"1{NBSP}234,56{NBSP}€"),
    ],
)
def test_amounts_show_and_export_with_their_currency(
    in_alpha: Company, viewer: User, language: str, usd: str, eur: str
) -> None:
    _deals(("Dollars", "24800", "USD"), ("Euros", "1234.56", "EUR"), ("Francs", "5", "CHF"))
    client = _client(viewer, language)
    response = client.get("/deals/?sort=name&cols=name,amount")
    assert response.status_code == 200
    assert _cells(response) == [
        usd,
        eur,
        f"CHF{NBSP}5.00" if language == "en" else f"5,00{NBSP}CHF",
    ]
    export = client.get("/deals/export/?sort=name&cols=name,amount")
    body = b"".join(export.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    assert list(csv.reader(io.StringIO(body)))[1:3] == [["Dollars", usd], ["Euros", eur]]


def test_amount_filter_takes_a_currency(in_alpha: Company, viewer: User) -> None:
    _deals(("Small $", "50", "USD"), ("Big $", "5000", "USD"), ("Big €", "5000", "EUR"))
    client = _client(viewer, "en")
    refused = client.get("/deals/?amount_min=100&sort=name&cols=name")
    assert refused.status_code == 400
    assert refused.context["form"].errors["amount_currency"] == [
        "Choose the currency of the amounts, e.g. EUR."
    ]
    assert _cells(refused, 0) == ["Big $", "Big €", "Small $"]  # the bound is left out
    chosen = client.get("/deals/?amount_min=100&amount_currency=usd&sort=name&cols=name")
    assert chosen.status_code == 200
    assert _cells(chosen, 0) == ["Big $"]
    only = client.get("/deals/?amount_currency=USD&sort=name&cols=name")
    assert _cells(only, 0) == ["Big $", "Small $"]
    bad = client.get("/deals/?amount_currency=XYZ&amount_max=10")
    assert bad.status_code == 400
    assert "amount_currency" in bad.context["form"].errors
    refused_bg = _client(viewer, "bg").get("/deals/?amount_max=10")
    assert "Изберете валутата на сумите, например EUR." in refused_bg.content.decode()


def test_sorting_by_amount_groups_by_currency(in_alpha: Company, viewer: User) -> None:
    _deals(
        ("e500", "500", "EUR"),
        ("u10", "10", "USD"),
        ("e5", "5", "EUR"),
        ("u1000", "1000", "USD"),
        ("b7", "7", "BGN"),
    )
    client = _client(viewer, "en")
    up = client.get("/deals/?sort=amount&cols=name")
    assert _cells(up, 0) == ["b7", "e5", "e500", "u10", "u1000"]
    down = client.get("/deals/?sort=-amount&cols=name")
    assert _cells(down, 0) == ["u1000", "u10", "e500", "e5", "b7"]


@pytest.mark.parametrize("sort", ["amount", "-amount"])
def test_keyset_pages_over_currency_groups(in_alpha: Company, viewer: User, sort: str) -> None:
    # 60 deals, three currencies, few distinct amounts (ties broken by id)
    _deals(*((f"d{i}", str(i % 4), ("EUR", "USD", "BGN")[i % 3]) for i in range(60)))
    client = _client(viewer, "en")
    base = f"/deals/?sort={sort}&per_page=25"
    forward: list[int] = []
    url: str | None = base
    while url:
        response = client.get(url)
        assert response.status_code == 200
        forward += [row.pk for row in response.context["rows"]]
        url = response.context["next_url"]
    key = {d.pk: (d.currency, d.amount, d.pk) for d in Deal.objects.all()}
    assert forward == sorted(key, key=key.__getitem__, reverse=sort.startswith("-"))
    backward: list[int] = []
    url = f"{base}&page=last"
    while url:
        response = client.get(url)
        backward = [row.pk for row in response.context["rows"]] + backward
        url = response.context["previous_url"]
    assert backward == forward
    page2 = client.get(f"{base}&page=2")
    assert [row.pk for row in page2.context["rows"]] == forward[25:50]


def test_amount_seek_uses_the_currency_index(in_alpha: Company, viewer: User) -> None:
    _deals(*((f"d{i}", str(i), "EUR") for i in range(5)))
    for params in ("sort=amount", "sort=-amount&status=open"):
        state = lq.state_build(spec=DEALS, params=QueryDict(params), members=[])
        qs = lq.rows_filtered(state, actor=viewer)
        seek = keyset.after(("EUR", Decimal("2")), 1, descending=state.descending)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = keyset.ordered(qs.filter(seek), descending=state.descending)[:26].explain()
        # (with the status filter, either index; the planner picks by the table's statistics)
        assert "crm_deal_list_amount_idx" in plan or "crm_deal_list_status_idx" in plan, plan
        assert "Index Cond" in plan, plan
        assert "ROW(" in plan, plan


def test_amount_sorted_pages_have_constant_queries(in_alpha: Company, viewer: User) -> None:
    client = _client(viewer, "en")

    def count(url: str) -> int:
        client.get(url)
        with page_queries() as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    _deals(*((f"d{i}", str(i), "EUR") for i in range(3)))
    few = count("/deals/?sort=-amount")
    _deals(*((f"x{i}", str(i), c) for i in range(30) for c in ("USD", "EUR")))
    first = client.get("/deals/?sort=-amount&per_page=25")
    assert count("/deals/?sort=-amount") == few == PAGE_BASELINE + 10
    assert count(first.context["next_url"]) == PAGE_BASELINE + 10


def test_export_reads_currency_groups_in_chunks(in_alpha: Company, viewer: User) -> None:
    _deals(("e5", "5", "EUR"), ("u5", "5", "USD"), ("e1", "1", "EUR"), ("b9", "9", "BGN"))
    _deals(("u1", "1", "USD"))
    state = lq.state_build(spec=DEALS, params=QueryDict("sort=-amount"), members=[])
    rows = lq.export_rows(state, lq.rows_filtered(state, actor=viewer), chunk=2)
    assert [d.name for d in rows] == ["u5", "u1", "e5", "e1", "b9"]
