"""The board's cost is fixed: the same number of queries for 5 deals as for 50."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Deal
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.web.board.helpers import put_deals, signed_in, stage

pytestmark = pytest.mark.django_db

# Board: role check, pipelines, stages, grouped counts and sums, cards (one LATERAL top-N
# for every column), owners and members (one query); the layout's company switcher.
BOARD_QUERIES = PAGE_BASELINE + 6 + 1
# Show more (a fragment): stage, role check, cards, stages (for "Move to…"), owners.
MORE_QUERIES = PAGE_BASELINE + 5
# Move: deal, target stage, savepoint, role check, row lock, update, audit insert, release;
# then the moved card, its owner, both columns' counts and sums, stages.
MOVE_QUERIES = PAGE_BASELINE + 8 + 4


def _fill(n: int, owners: list[User]) -> None:
    for where in ("Lead", "Qualified", "Won"):
        for i, owner in enumerate(owners):
            put_deals(n // len(owners) + (i < n % len(owners)), stage(where), owner=owner)


@pytest.mark.parametrize("n", [5, 50])
def test_board_queries_do_not_grow(
    in_alpha: Company,
    member: User,
    admin: User,
    n: int,
    django_assert_num_queries: Callable[..., object],
) -> None:
    _fill(n, [member, admin])
    client = signed_in(member)
    client.get("/board/")  # warm per-process caches (routing, content types)
    with page_queries(BOARD_QUERIES):
        response = client.get("/board/")
    assert response.status_code == 200
    cards = sum(len(c.cards) for c in response.context["board"].columns)
    assert cards == 3 * min(n, 30)
    with page_queries(BOARD_QUERIES):
        client.get("/board/", {"owner": "mine"})


@pytest.mark.parametrize("n", [40, 80])
def test_show_more_queries_do_not_grow(
    in_alpha: Company,
    member: User,
    admin: User,
    n: int,
    django_assert_num_queries: Callable[..., object],
) -> None:
    _fill(n, [member, admin])
    client = signed_in(member)
    column = client.get("/board/").context["board"].columns[0]
    url = reverse("crm:board_column", args=[column.stage.pk])
    with page_queries(MORE_QUERIES):
        response = client.get(url, {"after": column.next_after}, HTTP_HX_REQUEST="true")
    assert len(response.context["page"].cards) == min(n - 30, 30)


@pytest.mark.parametrize("n", [5, 50])
def test_move_queries_do_not_grow(
    in_alpha: Company,
    member: User,
    n: int,
    django_assert_num_queries: Callable[..., object],
) -> None:
    _fill(n, [member])
    deal = Deal.objects.filter(stage=stage("Lead")).first()
    assert deal is not None
    client: Client = signed_in(member)
    client.get("/board/")
    data = {"deal": deal.pk, "stage": stage("Qualified").pk, "version": deal.version}
    with django_assert_num_queries(MOVE_QUERIES):  # type: ignore[attr-defined]
        response = client.post("/board/move/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
