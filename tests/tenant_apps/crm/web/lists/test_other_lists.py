"""Organizations, deals and activities: their own filters, links and isolation."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, CustomField, Deal, Organization, Tag
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def first_cells(client: Client, url: str, status: int = 200) -> list[str]:
    response = client.get(url)
    assert response.status_code == status, response.content.decode()[:300]
    return [row.cells[0][1] for row in response.context["rows"]]


def test_organization_filters(
    in_alpha: Company, member: User, beta: Company, client_for: ClientFor
) -> None:
    acme = Organization.objects.create(name="Acme", country="BG", size="10-49", city="Sofia")
    Organization.objects.create(name="Globex", country="DE", industry="Retail")
    Organization.objects.create(name="Gone", deleted_at=timezone.now())
    acme.tags.add(Tag.objects.create(name="key"))
    CustomField.objects.create(entity="organization", key="rank", label="Rank", type="number")
    Organization.objects.filter(pk=acme.pk).update(custom_fields={"rank": 3})
    with schema_context("beta"):
        Organization.objects.create(name="Beta Hidden Org")
    client = client_for(member)
    assert first_cells(client, "/organizations/") == ["Acme", "Globex"]
    assert first_cells(client, "/organizations/?country=bg") == ["Acme"]
    assert first_cells(client, "/organizations/?size=10-49") == ["Acme"]
    assert first_cells(client, "/organizations/?industry=ret") == ["Globex"]
    assert first_cells(client, "/organizations/?sort=-name") == ["Globex", "Acme"]
    tag = Tag.objects.get(name="key")
    assert first_cells(client, f"/organizations/?tag={tag.pk}") == ["Acme"]
    assert first_cells(client, "/organizations/?cf_rank_min=2") == ["Acme"]
    assert first_cells(client, "/organizations/?cf_rank_max=abc", status=400) == ["Acme", "Globex"]
    response = client.get("/organizations/")
    assert response.context["rows"][0].link == f"/organizations/{acme.pk}/"
    assert 'href="/organizations/new/"' in response.content.decode()
    assert "Beta Hidden Org" not in response.content.decode()


def test_deal_filters(in_alpha: Company, member: User, admin: User, client_for: ClientFor) -> None:
    pipeline = default_pipeline()
    stages = list(pipeline.stages.order_by("position"))
    small = Deal.objects.create(
        name="Small", amount=Decimal("100"), pipeline=pipeline, stage=stages[0], owner=member
    )
    big = Deal.objects.create(
        name="Big",
        amount=Decimal("5000.50"),
        pipeline=pipeline,
        stage=stages[1],
        status="open",
        expected_close_date=datetime.date(2030, 1, 15),
    )
    Deal.objects.create(
        name="Lost one", amount=Decimal("1"), pipeline=pipeline, stage=stages[0], status="lost"
    )
    client = client_for(member)
    assert first_cells(client, "/deals/?sort=-amount") == ["Big", "Small", "Lost one"]
    url = "/deals/?amount_min=100&amount_max=5000.50&amount_currency=EUR&sort=amount"
    assert first_cells(client, url) == [
        "Small",
        "Big",
    ]
    assert first_cells(client, "/deals/?status=open&sort=name") == ["Big", "Small"]
    assert first_cells(client, f"/deals/?stage={stages[1].pk}") == ["Big"]
    assert first_cells(client, f"/deals/?pipeline={pipeline.pk}&sort=name") == [
        "Big",
        "Lost one",
        "Small",
    ]
    assert first_cells(client, "/deals/?close_from=2030-01-01&close_to=2030-01-31") == ["Big"]
    assert first_cells(client, f"/deals/?owner={member.pk}") == ["Small"]
    response = client.get("/deals/?amount_min=lots&stage=999999&status=won")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"amount_min", "stage"}
    assert response.context["rows"] == []  # the valid status filter still applies
    rows = client.get("/deals/?sort=name").context["rows"]
    assert [r.link for r in rows[:1]] == [f"/deals/{big.pk}/"]
    assert small.pk != big.pk


def test_activity_filters_and_links(
    in_alpha: Company, member: User, admin: User, client_for: ClientFor
) -> None:
    org = Organization.objects.create(name="Acme")
    contact = Contact.objects.create(last_name="Doe")
    pipeline = default_pipeline()
    deal = Deal.objects.create(
        name="D", pipeline=pipeline, stage=pipeline.stages.order_by("position")[0]
    )
    soon = timezone.now() + datetime.timedelta(days=1)
    Activity.objects.create(kind="call", subject="Call Acme", organization=org, due_at=soon)
    Activity.objects.create(
        kind="task", subject="Send offer", contact=contact, assignee=member, done=True
    )
    Activity.objects.create(kind="meeting", subject="Kick-off", deal=deal, contact=contact)
    client = client_for(member)
    response = client.get("/activities/?sort=subject")
    links = {row.cells[0][1]: row.link for row in response.context["rows"]}
    assert links == {
        "Call Acme": f"/organizations/{org.pk}/",
        "Send offer": f"/contacts/{contact.pk}/",
        "Kick-off": f"/deals/{deal.pk}/",
    }
    assert first_cells(client, "/activities/?kind=call") == ["Call Acme"]
    assert first_cells(client, "/activities/?done=1") == ["Send offer"]
    assert first_cells(client, "/activities/?done=no&sort=subject") == ["Call Acme", "Kick-off"]
    assert first_cells(client, f"/activities/?assignee={member.pk}") == ["Send offer"]
    day = soon.astimezone(timezone.get_current_timezone()).date().isoformat()
    assert first_cells(client, f"/activities/?due_from={day}&due_to={day}") == ["Call Acme"]
    assert first_cells(client, f"/activities/?contact={contact.pk}&sort=subject") == [
        "Kick-off",
        "Send offer",
    ]
    assert first_cells(client, "/activities/?q=offer") == ["Send offer"]
    response = client.get("/activities/?due_from=31.12.2024&kind=visit")
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"due_from", "kind"}
    # activities have no bulk actions and no "new" page of their own
    assert response.context["bulk_form"] is None


@pytest.mark.parametrize("path", ["/contacts/", "/organizations/", "/deals/", "/activities/"])
def test_pages_fit_the_strict_csp(
    in_alpha: Company, admin: User, client_for: ClientFor, path: str
) -> None:
    """No inline style, script or event handler: production runs with default-src 'none'."""
    Contact.objects.create(last_name="Doe")
    html = client_for(admin).get(f"{path}?created_from=bad").content.decode()
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert "javascript:" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
