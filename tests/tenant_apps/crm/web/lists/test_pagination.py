"""Keyset pagination (next, previous, last, ties on the sort key) and constant query counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Deal, Organization
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import make_contacts, make_deals, make_organizations

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def pks(response: Any) -> list[int]:
    return [row.pk for row in response.context["rows"]]


def walk(client: Client, url: str, link: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(pks(response))
        url = response.context[link]
    return pages


@pytest.mark.parametrize("sort", ["last_name", "-last_name", "owner", "-owner", "-created_at"])
def test_next_previous_last_with_ties(
    in_alpha: Company, member: User, client_for: ClientFor, sort: str
) -> None:
    # 60 contacts over 3 last names (ties), a third without an owner (NULLs)
    Contact.objects.bulk_create(
        Contact(last_name=f"Same{i % 3}", owner=member if i % 3 else None) for i in range(60)
    )
    client = client_for(member)
    base = f"/contacts/?sort={sort}&per_page=25"
    forward = walk(client, base, "next_url")
    assert [len(p) for p in forward] == [25, 25, 10]
    everything = [pk for page in forward for pk in page]
    assert sorted(everything) == sorted(Contact.objects.values_list("pk", flat=True))
    # the same order as a plain ORDER BY over the key and id
    expected = list(
        client.get(base)
        .context["state"]
        .spec.rows(member)  # the selector
        .annotate(_k=_sort_expr(client, base))
        .order_by(*_order(sort))
        .values_list("pk", flat=True)
    )
    assert everything == expected
    # last page, then backwards: the same pages, in reverse
    last = client.get(f"{base}&page=last")
    assert pks(last) == everything[-25:]  # the last page is full, ending at the last row
    assert last.context["next_url"] is None
    backward = walk(client, f"{base}&page=last", "previous_url")
    flat_back = [pk for page in reversed(backward) for pk in page]
    assert flat_back == everything
    # offset pages agree with the cursors
    assert pks(client.get(f"{base}&page=2")) == everything[25:50]


def _sort_expr(client: Client, url: str) -> Any:
    state = client.get(url).context["state"]
    return state.sort_column.sort()


def _order(sort: str) -> list[Any]:
    from django.db.models import F

    if sort.startswith("-"):
        return [F("_k").desc(), "-pk"]
    return [F("_k").asc(), "pk"]


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm per-process caches
    with page_queries() as ctx:
        response = client.get(url)
        assert response.status_code == 200
    return len(ctx.captured_queries)


# PAGE_BASELINE before the view; then members (public), custom fields, access check, count,
# rows, one per prefetch (contacts: tags, the email and phone being the contact's own columns;
# organizations: tags; deals: contacts), saved
# views, the layout's company switcher, and the pickers (tags in the filter and bulk forms;
# pipelines and stages for deals).
LIST_CASES: list[tuple[str, Callable[..., Any], int]] = [
    ("/contacts/?cols=name,email,phone,organization,owner,tags", make_contacts, PAGE_BASELINE + 10),
    ("/organizations/?cols=name,owner,tags", make_organizations, PAGE_BASELINE + 10),
    ("/deals/", make_deals, PAGE_BASELINE + 10),
]


@pytest.mark.parametrize(("url", "make", "expected"), LIST_CASES)
def test_list_queries_constant_in_rows(
    in_alpha: Company,
    member: User,
    client_for: ClientFor,
    url: str,
    make: Callable[..., Any],
    expected: int,
) -> None:
    client = client_for(member)
    make(3, owner=member)
    few = _queries(client, url)
    make(30, owner=member)
    assert _queries(client, url) == few == expected


def test_activity_list_queries_constant(
    in_alpha: Company, member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    org = Organization.objects.create(name="Acme")
    deal = make_deals(1)[0]

    def add(n: int) -> None:
        Activity.objects.bulk_create(
            Activity(kind="task", subject=f"Call {i}", organization=org, deal=deal, assignee=member)
            for i in range(n)
        )

    add(3)
    few = _queries(client, "/activities/")
    add(30)
    assert _queries(client, "/activities/") == few == PAGE_BASELINE + 6
    assert Deal.objects.exists()
