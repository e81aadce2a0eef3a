"""Bulk actions cost the same number of queries for 2 rows as for 12 (no per-row save, audit
row or search-text recomputation), and a contact's search text is computed once per write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, Organization, Tag
from tenant_apps.crm.search_text import search_document
from tenant_apps.crm.services import contact_create, contact_update
from tenant_apps.crm.services.bulk import (
    bulk_delete,
    bulk_owner_assign,
    bulk_tag_add,
    bulk_tag_remove,
)
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import make_deals

pytestmark = pytest.mark.django_db


def _contacts(actor: User, n: int, start: int = 0) -> list[int]:
    return [
        contact_create(
            actor=actor,
            first_name="Ана",
            last_name=f"Иванова {i}",
            emails=[f"ana{i}@example.test"],
            phones=[{"number": "+359 2 123 45 67", "label": ""}],
        ).pk
        for i in range(start, start + n)
    ]


def _searchable(pk: int) -> str:
    """What the contact's search text should be, recomputed from its saved rows."""
    return search_document(Contact.objects.get(pk=pk).search_parts())


def _count(action: Callable[[list[int]], Any], ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        action(ids)
    return len(ctx.captured_queries)


def _actions(admin: User, member: User, tag: Tag) -> dict[str, Callable[[list[int]], Any]]:
    return {
        "owner": lambda ids: bulk_owner_assign(model=Contact, ids=ids, owner=member, actor=admin),
        "tag_add": lambda ids: bulk_tag_add(model=Contact, ids=ids, tag=tag, actor=admin),
        "tag_remove": lambda ids: bulk_tag_remove(model=Contact, ids=ids, tag=tag, actor=admin),
        "delete": lambda ids: bulk_delete(model=Contact, ids=ids, actor=admin),
    }


@pytest.mark.parametrize("action", ["owner", "tag_add", "tag_remove", "delete"])
def test_bulk_action_queries_do_not_grow_with_rows(
    in_alpha: Company, admin: User, member: User, action: str
) -> None:
    # given 2 and 12 contacts with emails and phones
    tag = Tag.objects.create(name="vip")
    few, many = _contacts(admin, 2), _contacts(admin, 12, start=2)
    run = _actions(admin, member, tag)
    if action == "tag_remove":
        for ids in (few, many):
            run["tag_add"](ids)

    # when the action runs on each set, then both cost the same
    assert _count(run[action], few) == _count(run[action], many)


def test_bulk_owner_assign_writes_each_change_and_keeps_the_search_text(
    in_alpha: Company, admin: User, member: User
) -> None:
    ids = _contacts(admin, 3)
    bulk_owner_assign(model=Contact, ids=ids[:1], owner=member, actor=admin)
    before = {c.pk: c for c in Contact.objects.filter(pk__in=ids)}
    last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]

    assert bulk_owner_assign(model=Contact, ids=ids, owner=member, actor=admin) == 2

    for contact in Contact.objects.filter(pk__in=ids):
        old = before[contact.pk]
        assert contact.owner_id == member.pk
        assert contact.version == old.version + (contact.pk != ids[0])
        assert contact.search_text == old.search_text == _searchable(contact.pk)
        if contact.pk != ids[0]:
            assert contact.updated_at > old.updated_at
    rows = AuditEvent.objects.filter(action="crm.contact.updated", pk__gt=last_audit)
    assert sorted(int(r.object_id) for r in rows) == sorted(ids[1:])
    assert all(r.changes == {"owner": [None, member.pk]} and r.actor == admin for r in rows)


def test_bulk_delete_deletes_each_with_its_audit_row(in_alpha: Company, admin: User) -> None:
    ids = _contacts(admin, 3)
    assert bulk_delete(model=Contact, ids=ids, actor=admin) == 3
    rows = Contact.objects.filter(pk__in=ids)
    assert all(c.deleted_at is not None and c.version == 2 for c in rows)
    audit = AuditEvent.objects.filter(action="crm.contact.deleted")
    assert sorted(int(a.object_id) for a in audit) == sorted(ids)
    assert all(list(a.changes) == ["deleted_at"] for a in audit)


def test_bulk_audit_rows_are_announced_like_single_ones(
    in_alpha: Company, admin: User, member: User
) -> None:
    # the dashboard's cache listens to post_save of audit rows (crm.deal.*)
    heard: list[str] = []

    def listen(sender: type[AuditEvent], instance: AuditEvent, created: bool, **_: Any) -> None:
        if created:
            heard.append(instance.action)

    deals = make_deals(3)
    post_save.connect(listen, sender=AuditEvent, dispatch_uid="test-bulk-heard")
    try:
        bulk_owner_assign(model=Deal, ids=[d.pk for d in deals], owner=member, actor=admin)
    finally:
        post_save.disconnect(sender=AuditEvent, dispatch_uid="test-bulk-heard")
    assert heard == ["crm.deal.updated"] * 3


def _search_reads(ctx: CaptureQueriesContext) -> list[str]:
    """The reads `Contact.search_parts` makes (the email / number column alone)."""
    wanted = (
        'SELECT "crm_contactemail"."email" AS "email" FROM',
        'SELECT "crm_contactphone"."number" AS "number" FROM',
    )
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith(wanted)]


def test_contact_update_computes_the_search_text_once(in_alpha: Company, admin: User) -> None:
    # given a contact with an email and a phone
    [pk] = _contacts(admin, 1)
    contact = Contact.objects.get(pk=pk)

    # when its name and both lists are replaced
    with CaptureQueriesContext(connection) as ctx:
        contact_update(
            contact=contact,
            actor=admin,
            expected_version=contact.version,
            first_name="Мария",
            emails=["new.address@example.test"],
            phones=[{"number": "+359 888 000 111", "label": "mobile"}],
        )

    # then the search text is made once, from the new lists without reading them back, and
    # it matches what the saved rows say
    assert _search_reads(ctx) == []
    saved = Contact.objects.get(pk=pk)
    assert saved.search_text == _searchable(pk)
    assert "new.address" in saved.search_text
    assert "ana0" not in saved.search_text


def test_contact_update_without_lists_indexes_the_saved_ones(
    in_alpha: Company, admin: User
) -> None:
    [pk] = _contacts(admin, 1)
    contact = Contact.objects.get(pk=pk)
    with CaptureQueriesContext(connection) as ctx:
        contact_update(
            contact=contact, actor=admin, expected_version=contact.version, first_name="Мария"
        )
    assert len(_search_reads(ctx)) == 2  # the saved lists, once
    saved = Contact.objects.get(pk=pk)
    assert saved.search_text == _searchable(pk)
    assert "ana0" in saved.search_text


def test_organization_bulk_delete_queries_do_not_grow(in_alpha: Company, admin: User) -> None:
    orgs = [Organization.objects.create(name=f"Org {i}") for i in range(14)]
    ids = [o.pk for o in orgs]
    assert _count(lambda i: bulk_delete(model=Organization, ids=i, actor=admin), ids[:2]) == (
        _count(lambda i: bulk_delete(model=Organization, ids=i, actor=admin), ids[2:])
    )
