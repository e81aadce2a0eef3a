"""Detail pages: timeline contents and order, pinned notes first, exact query counts that do
not grow with the number of rows, deleted banner and restore, isolation between companies."""

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
from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.services.contacts import contact_create, contact_delete, contact_update
from tenant_apps.crm.services.deals import deal_create, deal_move_stage, deal_update
from tenant_apps.crm.services.notes import note_create, note_pin
from tenant_apps.crm.services.organizations import organization_create, organization_update
from tenant_apps.crm.timeline import PER_PAGE
from tests.conftest import client_for
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db


# The counts below include one query for the contacts a meeting may list (the quick-add
# form) and one for the participants of the meetings on the timeline page.
def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm per-process caches (routing, content types)
    with page_queries() as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def _history(actor: User, record: Any, n: int, *, owner: User, other: User) -> None:
    """`n` of each: tasks, calls, meetings (with a contact and a member taking part),
    emails, notes, plus one pinned note."""
    link = {type(record)._meta.model_name: record}
    guest = Contact.objects.create(first_name="Guest", last_name=f"G{n}")
    start = timezone.now() - datetime.timedelta(days=1)
    for i in range(n):
        activity_create(actor=actor, kind="task", subject=f"Task {i}", assignee=other, **link)
        activity_create(actor=actor, kind="call", subject=f"Call {i}", call_outcome="busy", **link)
        activity_create(
            actor=actor,
            kind="meeting",
            subject=f"Meeting {i}",
            starts_at=start,
            duration_minutes=30,
            participant_contacts=[guest.pk],
            participant_users=[other.pk, owner.pk],
            assignee=owner,
            **link,
        )
        activity_create(
            actor=actor, kind="email", subject=f"Email {i}", email_direction="in", **link
        )
        note_create(actor=actor, body=f"Note {i}", **link)
    note_pin(note=note_create(actor=actor, body="Pinned", **link), actor=actor)


def _grow_edits(
    update: Callable[..., Any], record: Any, n: int, *, owner: User, other: User
) -> None:
    for i in range(n):
        record = update(record, version=record.version, owner=owner if i % 2 else other)


def test_contact_timeline_order_kinds_and_names(
    in_alpha: Company, member: User, admin: User
) -> None:
    admin.full_name = "Ana Admin"
    admin.save()
    contact = contact_create(actor=member, last_name="Doe")
    note_create(actor=member, body="first note", contact=contact)
    activity_create(actor=member, kind="task", subject="Call", contact=contact, assignee=admin)
    org = Organization.objects.create(name="Acme")
    contact_update(contact=contact, actor=member, expected_version=1, owner=admin, organization=org)
    pinned = note_create(actor=member, body="<b>keep</b>", contact=contact)
    note_pin(note=pinned, actor=member)
    page = client_for(member).get(f"/contacts/{contact.pk}/")
    timeline = page.context["timeline"]
    assert [e.kind for e in timeline.entries] == ["change", "activity", "note", "change"]
    assert [e.action for e in timeline.entries if e.kind == "change"] == ["updated", "created"]
    changes = {c.label: (c.old, c.new) for c in timeline.entries[0].changes}
    assert changes["Owner"] == ("—", "Ana Admin")
    assert changes["Organization"] == ("—", "Acme")
    assert [e.note.body for e in timeline.pinned] == ["<b>keep</b>"]
    html = page.content.decode()
    assert html.index("<b>keep</b>") < html.index("first note")
    assert "Ana Admin" in html


def test_timeline_is_paginated(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    for i in range(PER_PAGE + 5):
        note_create(actor=member, body=f"n{i}", contact=contact)
    client = client_for(member)
    first = client.get(f"/contacts/{contact.pk}/").context["timeline"]
    assert len(first.entries) == PER_PAGE
    assert first.has_next
    second = client.get(f"/contacts/{contact.pk}/?page=2", HTTP_HX_REQUEST="true")
    assert second.status_code == 200
    assert "<html" not in second.content.decode()
    assert len(second.context["timeline"].entries) == 6  # 5 notes + "created"
    assert not second.context["timeline"].has_next


def test_contact_detail_queries_are_constant(in_alpha: Company, member: User, admin: User) -> None:
    client = client_for(member)
    org = Organization.objects.create(name="Acme")
    contact = contact_create(
        actor=member, last_name="Doe", organization=org, emails=["d@example.test"]
    )

    def update(record: Contact, *, version: int, owner: User) -> Contact:
        return contact_update(contact=record, actor=member, expected_version=version, owner=owner)

    pipeline = default_pipeline()
    deal_create(actor=member, name="D0", pipeline=pipeline, contacts=[contact])
    _history(member, contact, 2, owner=member, other=admin)
    _grow_edits(update, contact, 2, owner=member, other=admin)
    few = _queries(client, f"/contacts/{contact.pk}/")
    for i in range(6):
        deal_create(actor=member, name=f"D{i + 1}", pipeline=pipeline, contacts=[contact])
    contact.refresh_from_db()
    _history(member, contact, 6, owner=member, other=admin)
    _grow_edits(update, contact, 4, owner=member, other=admin)
    assert _queries(client, f"/contacts/{contact.pk}/") == few == PAGE_BASELINE + 19


def test_organization_detail_queries_are_constant(
    in_alpha: Company, member: User, admin: User
) -> None:
    client = client_for(member)
    org = organization_create(actor=member, name="Acme")

    def update(record: Organization, *, version: int, owner: User) -> Organization:
        return organization_update(
            organization=record, actor=member, expected_version=version, owner=owner
        )

    pipeline = default_pipeline()
    contact_create(actor=member, last_name="P0", organization=org)
    deal_create(actor=member, name="D0", pipeline=pipeline, organization=org)
    _history(member, org, 2, owner=member, other=admin)
    _grow_edits(update, org, 2, owner=member, other=admin)
    few = _queries(client, f"/organizations/{org.pk}/")
    for i in range(6):
        contact_create(actor=member, last_name=f"P{i + 1}", organization=org)
        deal_create(actor=member, name=f"D{i + 1}", pipeline=pipeline, organization=org)
    org.refresh_from_db()
    _history(member, org, 6, owner=member, other=admin)
    _grow_edits(update, org, 4, owner=member, other=admin)
    assert _queries(client, f"/organizations/{org.pk}/") == few == PAGE_BASELINE + 18


def test_deal_detail_queries_are_constant_and_stage_moves_show_names(
    in_alpha: Company, member: User, admin: User
) -> None:
    client = client_for(member)
    pipeline = default_pipeline()
    stages = list(pipeline.stages.order_by("position"))
    deal = deal_create(
        actor=member,
        name="Big",
        pipeline=pipeline,
        contacts=[contact_create(actor=member, last_name="C0")],
    )

    def update(record: Deal, *, version: int, owner: User) -> Deal:
        return deal_update(deal=record, actor=member, expected_version=version, owner=owner)

    deal = deal_move_stage(deal=deal, stage=stages[1], actor=member)
    _history(member, deal, 2, owner=member, other=admin)
    _grow_edits(update, deal, 2, owner=member, other=admin)
    few = _queries(client, f"/deals/{deal.pk}/")
    deal.refresh_from_db()
    for i in range(6):
        deal.contacts.add(contact_create(actor=member, last_name=f"C{i + 1}"))
    _history(member, deal, 6, owner=member, other=admin)
    deal = deal_move_stage(deal=deal, stage=stages[2], actor=member)
    _grow_edits(update, deal, 4, owner=member, other=admin)
    page = client.get(f"/deals/{deal.pk}/")
    moves = [e for e in page.context["timeline"].entries if e.kind == "stage"]
    assert moves
    assert {c.label: (c.old, c.new) for c in moves[0].changes}["Stage"] == (
        stages[1].name,
        stages[2].name,
    )
    assert _queries(client, f"/deals/{deal.pk}/") == few == PAGE_BASELINE + 17


def test_deleted_record_shows_banner_and_restores(
    in_alpha: Company, admin: User, member: User
) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    client = client_for(admin)
    assert client_for(member).post(f"/contacts/{contact.pk}/delete/").status_code == 403
    assert client.post(f"/contacts/{contact.pk}/delete/").status_code == 302
    page = client.get(f"/contacts/{contact.pk}/")
    assert "It can be restored until" in page.content.decode()
    assert f"/contacts/{contact.pk}/restore/" in page.content.decode()
    binned = client.get("/contacts/deleted/")
    assert [row for row, _who, _until in binned.context["rows"]] == [contact]
    assert client_for(member).get("/contacts/deleted/").status_code == 403
    assert client_for(member).post(f"/contacts/{contact.pk}/restore/").status_code == 403
    assert client.post(f"/contacts/{contact.pk}/restore/").status_code == 302
    contact.refresh_from_db()
    assert contact.deleted_at is None
    assert client.get("/contacts/deleted/").context["rows"] == []


def test_deleted_record_cannot_be_edited(in_alpha: Company, admin: User) -> None:
    contact = contact_create(actor=admin, last_name="Doe")
    contact_delete(contact=contact, actor=admin)
    assert client_for(admin).get(f"/contacts/{contact.pk}/edit/").status_code == 404


def test_other_company_records_never_show(alpha: Company, beta: Company) -> None:
    beta_owner = beta.memberships.get(role="owner").user
    with schema_context("beta"):
        theirs = contact_create(actor=beta_owner, last_name="BetaSecret")
        their_org = organization_create(actor=beta_owner, name="BetaOrg")
    alpha_owner = alpha.memberships.get(role="owner").user
    client = client_for(alpha_owner)
    with schema_context("alpha"):
        ours = contact_create(actor=alpha_owner, last_name="AlphaPerson")
    for path in (f"/contacts/{theirs.pk}/", f"/organizations/{their_org.pk}/"):
        response = client.get(path)
        if response.status_code == 200:  # the same id may exist in alpha: not beta's row
            assert "Beta" not in response.content.decode()
        else:
            assert response.status_code == 404
    page = client.get(f"/contacts/{ours.pk}/").content.decode()
    assert "BetaSecret" not in page
    assert (
        client_for(beta_owner, "beta.localhost").get(f"/contacts/{ours.pk}/").status_code in (404,)
        or "AlphaPerson"
        not in client_for(beta_owner, "beta.localhost")
        .get(f"/contacts/{ours.pk}/")
        .content.decode()
    )
