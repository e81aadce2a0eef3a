from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.duplicates import contact_duplicates, organization_duplicates
from tenant_apps.crm.models import Activity, Contact, Deal, Note, Organization, Tag
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.services.contacts import contact_create, contact_delete
from tenant_apps.crm.services.deals import deal_create
from tenant_apps.crm.services.merge import contact_merge
from tenant_apps.crm.services.notes import note_create
from tenant_apps.crm.services.organizations import organization_create
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db


def test_contact_duplicates_by_normalised_email_and_phone(in_alpha: Company, member: User) -> None:
    a = contact_create(actor=member, last_name="A", emails=["Ann@Example.test"])
    b = contact_create(actor=member, last_name="B", phones=[{"number": "+359 888 123 456"}])
    assert contact_duplicates(actor=member, emails=[" ann@example.TEST "]) == [a]
    assert contact_duplicates(actor=member, phones=["00359888123456"]) == [b]
    assert contact_duplicates(actor=member, emails=["x@example.test"], phones=["+1 555"]) == []


def test_organization_duplicates_by_domain_email_phone(in_alpha: Company, member: User) -> None:
    org = organization_create(actor=member, name="Acme", website="https://www.Acme.test/about")
    assert organization_duplicates(actor=member, website="http://acme.test") == [org]
    assert organization_duplicates(actor=member, domain="ACME.test") == [org]
    assert organization_duplicates(actor=member, domain="other.test") == []


def test_create_form_warns_then_creates_anyway(in_alpha: Company, member: User) -> None:
    existing = contact_create(actor=member, last_name="Old", emails=["same@example.test"])
    client = client_for(member)
    data = {
        "last_name": "New",
        "lifecycle_stage": "lead",
        "email_0": "SAME@example.test",
        "primary_email": "0",
    }
    warned = client.post("/contacts/new/", data)
    assert warned.status_code == 409
    assert warned.context["duplicates"] == [existing]
    assert f"/contacts/{existing.pk}/" in warned.content.decode()
    assert Contact.objects.count() == 1
    assert client.post("/contacts/new/", {**data, "create_anyway": "1"}).status_code == 302
    assert Contact.objects.count() == 2
    org = organization_create(actor=member, name="Acme", domain="acme.test")
    dup = client.post("/organizations/new/", {"name": "Acme 2", "website": "https://acme.test"})
    assert dup.status_code == 409
    assert dup.context["duplicates"] == [org]


def test_contact_merge_moves_everything(in_alpha: Company, admin: User, member: User) -> None:
    keep = contact_create(
        actor=member,
        last_name="Keep",
        emails=["k@example.test"],
        phones=[{"number": "+35921111111"}],
    )
    other = contact_create(
        actor=member,
        last_name="Other",
        job_title="CEO",
        emails=["K@example.test", "o@example.test"],
        phones=[{"number": "+35921111111"}, {"number": "+35922222222"}],
    )
    other.tags.add(Tag.objects.create(name="vip"))
    deal = deal_create(actor=member, name="D", pipeline=default_pipeline(), contacts=[other, keep])
    deal2 = deal_create(actor=member, name="D2", pipeline=default_pipeline(), contacts=[other])
    task = activity_create(actor=member, kind="task", subject="t", contact=other)
    note = note_create(actor=member, body="n", contact=other)
    with pytest.raises(PermissionDenied):
        contact_merge(actor=member, survivor=keep, other=other)
    merged = contact_merge(actor=admin, survivor=keep, other=other, take=["job_title"])
    assert merged.job_title == "CEO"
    assert merged.last_name == "Keep"
    assert [(e.email, e.is_primary) for e in merged.emails.all()] == [
        ("k@example.test", True),
        ("o@example.test", False),
    ]
    assert [p.number for p in merged.phones.all()] == ["+35921111111", "+35922222222"]
    assert [t.name for t in merged.tags.all()] == ["vip"]
    assert sorted(c.pk for c in Deal.objects.get(pk=deal.pk).contacts.all()) == [keep.pk]
    assert [c.pk for c in Deal.objects.get(pk=deal2.pk).contacts.all()] == [keep.pk]
    assert Activity.objects.get(pk=task.pk).contact_id == keep.pk
    assert Note.objects.get(pk=note.pk).contact_id == keep.pk
    other.refresh_from_db()
    assert other.deleted_at is not None
    mine = AuditEvent.objects.get(action="crm.contact.merged", object_id=str(keep.pk))
    assert mine.changes["merge"]["with"] == {"id": other.pk, "name": "Other"}
    assert mine.changes["merge"]["moved"]["deals"] == sorted([deal.pk, deal2.pk])
    assert mine.changes["merge"]["moved"]["activities"] == [task.pk]
    assert mine.changes["merge"]["dropped"] == {"last_name": ["Other", "Keep"]}
    theirs = AuditEvent.objects.get(action="crm.contact.merged", object_id=str(other.pk))
    assert theirs.changes["merge"]["with"] == {"id": keep.pk, "name": "Keep"}


def test_merge_refusals(in_alpha: Company, admin: User) -> None:
    a = contact_create(actor=admin, last_name="A")
    b = contact_create(actor=admin, last_name="B")
    org = organization_create(actor=admin, name="O")
    with pytest.raises(ValidationError):
        contact_merge(actor=admin, survivor=a, other=a)
    with pytest.raises(ValidationError):
        contact_merge(actor=admin, survivor=a, other=org)  # type: ignore[arg-type]
    contact_delete(contact=b, actor=admin)
    with pytest.raises(ValidationError):
        contact_merge(actor=admin, survivor=a, other=b)
    assert Contact.objects.get(pk=a.pk).deleted_at is None


def test_organization_merge_page(in_alpha: Company, admin: User, member: User) -> None:
    keep = organization_create(actor=admin, name="Acme", city="Sofia")
    other = organization_create(actor=admin, name="ACME Ltd", city="Plovdiv")
    person = contact_create(actor=admin, last_name="P", organization=other)
    deal = deal_create(actor=admin, name="D", pipeline=default_pipeline(), organization=other)
    client = client_for(admin)
    assert client_for(member).get(f"/organizations/{keep.pk}/merge/").status_code == 403
    page = client.get(f"/organizations/{keep.pk}/merge/?other={other.pk}")
    assert page.status_code == 200
    assert {row.name for row in page.context["rows"]} == {"name", "city"}
    response = client.post(
        f"/organizations/{keep.pk}/merge/",
        {
            "other": other.pk,
            "survivor": "this",
            "field_name": "this",
            "field_city": "other",
            "version_this": keep.version,
            "version_other": other.version,
            "confirm": "1",
        },
    )
    assert response.status_code == 302
    keep.refresh_from_db()
    assert (keep.name, keep.city) == ("Acme", "Plovdiv")
    assert Contact.objects.get(pk=person.pk).organization_id == keep.pk
    assert Deal.objects.get(pk=deal.pk).organization_id == keep.pk
    assert Organization.objects.get(pk=other.pk).deleted_at is not None
