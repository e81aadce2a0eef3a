"""The contact list: filters of every kind, sort, columns, bad input, isolation."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, CustomField, Organization, Tag
from tenant_apps.crm.services.contacts import contact_create

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def names(response: Any) -> list[str]:
    return [row.cells[0][1] for row in response.context["rows"]]


def get(client: Client, query: str, status: int = 200) -> Any:
    response = client.get(f"/contacts/?{query}")
    assert response.status_code == status, response.content.decode()[:500]
    return response


@pytest.fixture
def people(in_alpha: Company, member: User, admin: User) -> dict[str, Contact]:
    org = Organization.objects.create(name="Acme")
    vip = Tag.objects.create(name="VIP")
    ana = contact_create(
        actor=member,
        first_name="Ана",
        last_name="Иванова",
        job_title="CTO",
        organization=org,
        lifecycle_stage="customer",
        owner=admin,
        emails=["ana@acme.test"],
    )
    ana.tags.add(vip)
    bob = contact_create(
        actor=member,
        last_name="Brown",
        job_title="Sales",
        do_not_contact=True,
        phones=[{"number": "+359888123456"}],
    )
    cid = contact_create(actor=member, last_name="Clark", source="fair", owner=member)
    return {"ana": ana, "bob": bob, "cid": cid}


def test_text_choice_flag_owner_tag_organization(
    people: dict[str, Contact], member: User, admin: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    assert set(names(get(client, ""))) == {"Brown", "Clark", "Ана Иванова"}
    assert names(get(client, "job_title=ct")) == ["Ана Иванова"]
    assert names(get(client, "lifecycle_stage=customer")) == ["Ана Иванова"]
    assert names(get(client, "lifecycle_stage=customer&lifecycle_stage=lead")) == [
        "Brown",
        "Clark",
        "Ана Иванова",
    ]
    assert names(get(client, "do_not_contact=yes")) == ["Brown"]
    assert names(get(client, "do_not_contact=no")) == ["Clark", "Ана Иванова"]
    assert names(get(client, f"owner={admin.pk}")) == ["Ана Иванова"]
    tag = Tag.objects.get(name="VIP")
    assert names(get(client, f"tag={tag.pk}")) == ["Ана Иванова"]
    org = Organization.objects.get(name="Acme")
    response = get(client, f"organization={org.pk}")
    assert names(response) == ["Ана Иванова"]
    assert "Acme" in response.content.decode()  # shown as a removable chip
    assert names(get(client, "organization_name=acm")) == ["Ана Иванова"]
    assert names(get(client, "email=ANA@")) == ["Ана Иванова"]
    assert names(get(client, "source=fai")) == ["Clark"]
    assert names(get(client, "phone=888123")) == ["Brown"]


def test_quick_search_is_normalised(
    people: dict[str, Contact], member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    # Cyrillic and Latin find each other, case and accents do not matter
    assert names(get(client, "q=ivanova")) == ["Ана Иванова"]
    assert names(get(client, "q=ИВАН")) == ["Ана Иванова"]
    assert names(get(client, "q=ana%40acme")) == ["Ана Иванова"]


def test_date_ranges(people: dict[str, Contact], member: User, client_for: ClientFor) -> None:
    client = client_for(member)
    old = timezone.now() - datetime.timedelta(days=10)
    Contact.objects.filter(pk=people["bob"].pk).update(created_at=old, updated_at=old)
    today = timezone.localdate().isoformat()
    assert names(get(client, f"created_from={today}")) == ["Clark", "Ана Иванова"]
    before = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    assert names(get(client, f"created_to={before}")) == ["Brown"]
    assert names(get(client, f"updated_to={before}")) == ["Brown"]


def test_custom_fields_of_every_type(
    people: dict[str, Contact], member: User, client_for: ClientFor
) -> None:
    defs = [
        ("nick", "text", []),
        ("score", "number", []),
        ("met", "date", []),
        ("tier", "choice", ["gold", "silver"]),
        ("langs", "multi", ["bg", "en", "de"]),
        ("newsletter", "bool", []),
        ("site", "url", []),
    ]
    for n, (key, kind, choices) in enumerate(defs):
        CustomField.objects.create(
            entity="contact", key=key, label=key.title(), type=kind, choices=choices, position=n
        )
    values = {
        "ana": {
            "nick": "Ani",
            "score": 90,
            "met": "2024-03-01",
            "tier": "gold",
            "langs": ["bg", "en"],
            "newsletter": True,
            "site": "https://ana.example",
        },
        "bob": {
            "nick": "Bobby",
            "score": 12.5,
            "met": "2023-01-10",
            "tier": "silver",
            "langs": ["de"],
        },
        "cid": {},
    }
    for key, custom in values.items():
        Contact.objects.filter(pk=people[key].pk).update(custom_fields=custom)
    client = client_for(member)
    assert names(get(client, "cf_nick=bob")) == ["Brown"]
    assert names(get(client, "cf_score_min=50")) == ["Ана Иванова"]
    assert names(get(client, "cf_score_min=10&cf_score_max=12.5")) == ["Brown"]
    assert names(get(client, "cf_met_from=2024-01-01")) == ["Ана Иванова"]
    assert names(get(client, "cf_met_to=2023-12-31")) == ["Brown"]
    assert names(get(client, "cf_tier=silver")) == ["Brown"]
    assert names(get(client, "cf_langs=en")) == ["Ана Иванова"]
    assert names(get(client, "cf_langs=en&cf_langs=de")) == ["Brown", "Ана Иванова"]
    assert names(get(client, "cf_newsletter=yes")) == ["Ана Иванова"]
    assert names(get(client, "cf_newsletter=no")) == ["Brown", "Clark"]
    assert names(get(client, "cf_site=ana.exa")) == ["Ана Иванова"]
    # custom fields are columns, and sort
    response = get(client, "cols=name,cf_score,cf_met&sort=-cf_score")
    # PostgreSQL's order: no value counts as the highest (first when descending)
    assert names(response) == ["Clark", "Ана Иванова", "Brown"]
    assert [c[1] for c in response.context["rows"][1].cells][1] == "90"
    headers = [h.column.key for h in response.context["headers"]]
    assert headers == ["name", "cf_score", "cf_met"]
    assert names(get(client, "sort=cf_met")) == ["Brown", "Ана Иванова", "Clark"]
    # bad custom values: a message next to the filter, status 400, the list still renders
    response = get(client, "cf_score_min=lots&cf_met_from=2024-02-30", status=400)
    assert set(response.context["form"].errors) == {"cf_score_min", "cf_met_from"}
    assert len(names(response)) == 3


def test_sort_and_aria_sort(
    people: dict[str, Contact], member: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    response = get(client, "sort=-name")
    assert names(response) == ["Ана Иванова", "Clark", "Brown"]
    html = response.content.decode()
    assert 'aria-sort="descending"' in html
    assert "sort=name" in html  # clicking again sorts ascending
    assert names(get(client, "sort=organization")) == ["Ана Иванова", "Brown", "Clark"]
    assert names(get(client, "sort=-owner"))[0] == "Brown"  # no owner: first when descending


def test_columns_chooser(people: dict[str, Contact], member: User, client_for: ClientFor) -> None:
    client = client_for(member)
    response = get(client, "cols=name,job_title&cols=owner")
    assert [h.column.key for h in response.context["headers"]] == ["name", "job_title", "owner"]
    # unknown columns are dropped with a message
    response = get(client, "cols=name,nope", status=400)
    assert [h.column.key for h in response.context["headers"]] == ["name"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_from=yesterday", "created_from"),
        ("created_to=2024-13-01", "created_to"),
        ("owner=abc", "owner"),
        ("owner=999999", "owner"),
        ("tag=999999", "tag"),
        ("tag=x", "tag"),
        ("organization=999999", "organization"),
        ("lifecycle_stage=friend", "lifecycle_stage"),
        ("do_not_contact=maybe", "do_not_contact"),
    ],
)
def test_bad_filter_values(
    people: dict[str, Contact], member: User, client_for: ClientFor, query: str, field: str
) -> None:
    response = get(client_for(member), query, status=400)
    assert field in response.context["form"].errors
    assert len(names(response)) == 3  # the list still renders, without that filter
    assert "errorlist" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["sort=password", "sort=-tags", "page=0", "page=abc", "after=%%%", "before=e30", "per_page=7"],
)
def test_bad_sort_and_paging(
    people: dict[str, Contact], member: User, client_for: ClientFor, query: str
) -> None:
    response = get(client_for(member), query, status=400)
    assert response.context["state"].errors
    assert len(names(response)) == 3


def test_other_company_ids_and_rows(
    people: dict[str, Contact], member: User, beta: Company, client_for: ClientFor
) -> None:
    with schema_context("beta"):
        beta_org = Organization.objects.create(name="Beta Org Secret")
        beta_tag = Tag.objects.create(name="beta-only-tag")
        Contact.objects.create(last_name="Beta Secret Person", organization=beta_org)
    client = client_for(member)
    response = get(client, "")
    assert "Beta Secret Person" not in response.content.decode()
    assert response.context["total"] == 3
    # beta's ids mean nothing here (or another row): never beta's data
    response = client.get(f"/contacts/?organization={beta_org.pk}&tag={beta_tag.pk}")
    assert "Beta Secret" not in response.content.decode()
    assert "beta-only-tag" not in response.content.decode()


def test_html_is_escaped(in_alpha: Company, member: User, client_for: ClientFor) -> None:
    contact_create(actor=member, last_name="<script>alert(1)</script>")
    html = get(client_for(member), "").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
