"""A contact's copies of its primary email and first phone (crm.contact_points) stay equal
to what its email and phone rows say, on every write path."""

from __future__ import annotations

import csv
import importlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.final_export import final_export_sheets
from tenant_apps.crm.models import Contact, ContactEmail, ContactPhone, Tag
from tenant_apps.crm.services import contact_create, contact_delete, contact_restore
from tenant_apps.crm.services.bulk import (
    bulk_delete,
    bulk_owner_assign,
    bulk_tag_add,
    bulk_tag_remove,
)
from tenant_apps.crm.services.contacts import contact_update
from tenant_apps.crm.services.merge import contact_merge

pytestmark = pytest.mark.django_db

fill_migration = importlib.import_module(
    "tenant_apps.crm.migrations.0010_contact_primary_email_phone_fill"
)


def expected(contact_id: int) -> tuple[str | None, str | None]:
    """What the rows say: the primary email (else the first by id), the first phone by id."""
    emails = ContactEmail.objects.filter(contact_id=contact_id).order_by("-is_primary", "id")
    phones = ContactPhone.objects.filter(contact_id=contact_id).order_by("id")
    email = emails.values_list("email", flat=True).first()
    phone = phones.values_list("number", flat=True).first()
    return email, phone


def stored(contact: Contact) -> tuple[str | None, str | None]:
    row = Contact.objects.values_list("primary_email", "primary_phone").get(pk=contact.pk)
    return row[0], row[1]


def assert_right(*contacts: Contact) -> None:
    for contact in contacts:
        assert stored(contact) == expected(contact.pk)
        # the object the service returned says the same as its row
        assert (contact.primary_email, contact.primary_phone) == stored(contact)


PHONES = [{"number": "+359888000001", "label": "work"}, {"number": "+359888000002"}]


def test_create(in_alpha: Company, member: User) -> None:
    full = contact_create(
        actor=member, last_name="Full", emails=["A@Acme.test", "b@acme.test"], phones=PHONES
    )
    bare = contact_create(actor=member, last_name="Bare")
    assert_right(full, bare)
    assert stored(full) == ("a@acme.test", "+359888000001")
    assert stored(bare) == (None, None)


def test_update_adds_removes_and_changes_the_primary(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Edit")
    # add
    contact = contact_update(
        contact=contact, actor=member, expected_version=contact.version,
        emails=["one@acme.test"], phones=PHONES,
    )  # fmt: skip
    assert stored(contact) == ("one@acme.test", "+359888000001")
    # another primary (the first of the list), a phone removed
    contact = contact_update(
        contact=contact, actor=member, expected_version=contact.version,
        emails=["two@acme.test", "one@acme.test"], phones=PHONES[1:],
    )  # fmt: skip
    assert stored(contact) == ("two@acme.test", "+359888000002")
    assert_right(contact)
    # other fields only: the copies stay (the full save must not write stale values)
    contact = contact_update(
        contact=contact, actor=member, expected_version=contact.version, job_title="CTO"
    )
    assert stored(contact) == ("two@acme.test", "+359888000002")
    # everything removed
    contact = contact_update(
        contact=contact, actor=member, expected_version=contact.version, emails=[], phones=[]
    )
    assert stored(contact) == (None, None)
    assert_right(contact)


def test_merge_moves_them_to_the_survivor(in_alpha: Company, admin: User, member: User) -> None:
    survivor = contact_create(actor=member, last_name="Keep", phones=PHONES[1:])
    other = contact_create(
        actor=member, last_name="Keep", emails=["other@acme.test"], phones=PHONES[:1]
    )
    merged = contact_merge(actor=admin, survivor=survivor, other=other)
    gone = Contact.objects.get(pk=other.pk)
    assert_right(merged, gone)
    # the survivor's own phone came first; the other's email is now its primary
    assert stored(merged) == ("other@acme.test", "+359888000002")
    assert stored(gone) == (None, None)


def test_merge_keeps_the_survivors_primary(in_alpha: Company, admin: User, member: User) -> None:
    survivor = contact_create(actor=member, last_name="Keep", emails=["mine@acme.test"])
    other = contact_create(actor=member, last_name="Keep", emails=["a@acme.test"])
    merged = contact_merge(actor=admin, survivor=survivor, other=other)
    assert stored(merged) == ("mine@acme.test", None)
    assert_right(merged)


def test_bulk_actions_delete_and_restore_leave_them(
    in_alpha: Company, admin: User, member: User
) -> None:
    contacts = [
        contact_create(actor=member, last_name=f"Bulk {i}", emails=[f"b{i}@acme.test"],
                       phones=PHONES[i % 2:])
        for i in range(3)
    ]  # fmt: skip
    before = {c.pk: stored(c) for c in contacts}
    ids = [c.pk for c in contacts]
    tag = Tag.objects.create(name="VIP")
    bulk_owner_assign(model=Contact, ids=ids, owner=admin, actor=admin)
    bulk_tag_add(model=Contact, ids=ids, tag=tag, actor=admin)
    bulk_tag_remove(model=Contact, ids=ids, tag=tag, actor=admin)
    assert {c.pk: stored(c) for c in contacts} == before
    bulk_delete(model=Contact, ids=ids[:2], actor=admin)
    contact_delete(contact=Contact.objects.get(pk=ids[2]), actor=admin)
    for pk in ids:
        contact_restore(contact=Contact.objects.get(pk=pk), actor=admin)
    assert {c.pk: stored(c) for c in contacts} == before
    assert_right(*Contact.objects.filter(pk__in=ids))


def test_demo_loader(alpha: Company) -> None:
    call_command("seed_demo", "--company", "alpha", "--size", "small", "--seed", "3",
                 stdout=io.StringIO())  # fmt: skip
    with schema_context("alpha"):
        contacts = list(Contact.objects.all())
        assert len(contacts) == 200
        for contact in contacts:
            assert stored(contact) == expected(contact.pk)
        assert Contact.objects.filter(primary_email__isnull=False).count() == 200
        assert Contact.objects.filter(primary_phone__isnull=False).exists()
        assert Contact.objects.filter(primary_phone__isnull=True).exists()


def test_migration_fills_existing_contacts_in_batches(
    in_alpha: Company, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    contacts = [
        contact_create(actor=member, last_name=f"Old {i}", emails=[f"o{i}@acme.test"],
                       phones=PHONES[: i % 3])
        for i in range(12)
    ]  # fmt: skip
    ContactEmail.objects.filter(contact=contacts[0]).update(is_primary=False)
    ContactEmail.objects.create(contact=contacts[0], email="second@acme.test", is_primary=True)
    # as the rows were before the columns existed
    Contact.objects.update(primary_email=None, primary_phone=None)
    monkeypatch.setattr(fill_migration, "BATCH", 5)

    class Editor:
        pass

    editor: Any = Editor()
    editor.connection = connection
    fill_migration.fill(None, editor)
    for contact in contacts:
        assert stored(contact) == expected(contact.pk)
    assert stored(contacts[0])[0] == "second@acme.test"
    assert stored(contacts[4]) == ("o4@acme.test", "+359888000001")


def test_final_export_is_unchanged(in_alpha: Company, member: User) -> None:
    contact_create(actor=member, last_name="Export", emails=["e@acme.test"], phones=PHONES)
    sheet = next(s for s in final_export_sheets() if s.name == "contacts.csv")
    assert "primary_email" not in sheet.headers
    assert "primary_phone" not in sheet.headers
    out = io.StringIO()
    csv.writer(out).writerows(sheet.rows)
    assert "e@acme.test" not in out.getvalue()  # in contact_emails.csv, not here
