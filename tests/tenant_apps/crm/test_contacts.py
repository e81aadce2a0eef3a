from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, ContactEmail, Organization
from tenant_apps.crm.services import (
    contact_create,
    contact_delete,
    contact_restore,
    contact_update,
)
from tenant_apps.history.models import AuditEvent

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def test_create_with_emails_and_phones(in_alpha: Company, member: User) -> None:
    org = Organization.objects.create(name="Employer")
    contact = contact_create(
        actor=member,
        first_name="Иван",
        last_name="Петров",
        job_title=XSS,
        organization=org,
        emails=["Ivan@Example.test", "ivan.p@example.test"],
        phones=[{"number": "00359 888 123 456", "label": "mobile"}],
        lifecycle_stage="prospect",
    )
    contact.refresh_from_db()
    assert contact.job_title == XSS
    assert [(e.email, e.is_primary) for e in contact.emails.all()] == [
        ("ivan@example.test", True),
        ("ivan.p@example.test", False),
    ]
    assert [p.number for p in contact.phones.all()] == ["+359888123456"]
    event = AuditEvent.objects.get(object_type="crm.contact", object_id=str(contact.pk))
    assert event.changes["emails"] == [None, ["ivan@example.test", "ivan.p@example.test"]]
    assert event.changes["organization"] == [None, org.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"emails": ["nope"]}, "emails"),
        ({"phones": [{"number": "abc"}]}, "phones"),
        ({"lifecycle_stage": "friend"}, "lifecycle_stage"),
        ({"last_name": ""}, "last_name"),
    ],
)
def test_bad_input(in_alpha: Company, member: User, kwargs: dict, field: str) -> None:
    base = {"last_name": "Doe"} | kwargs
    with pytest.raises(ValidationError) as exc:
        contact_create(actor=member, **base)
    assert field in exc.value.message_dict
    assert not Contact.objects.exists()


def test_one_primary_email_is_a_database_rule(in_alpha: Company) -> None:
    contact = Contact.objects.create(last_name="Two")
    ContactEmail.objects.create(contact=contact, email="a@example.test", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactEmail.objects.create(contact=contact, email="b@example.test", is_primary=True)


def test_update_replaces_lists_and_detects_stale(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe", emails=["a@example.test"])
    contact = contact_update(
        contact=contact,
        actor=member,
        expected_version=1,
        emails=["b@example.test"],
        do_not_contact=True,
    )
    assert contact.version == 2
    assert [e.email for e in contact.emails.all()] == ["b@example.test"]
    event = AuditEvent.objects.filter(object_type="crm.contact").latest("id")
    assert event.changes == {
        "do_not_contact": [False, True],
        "emails": [["a@example.test"], ["b@example.test"]],
    }
    with pytest.raises(ValidationError):
        contact_update(contact=contact, actor=member, expected_version=1, last_name="X")


def test_roles_and_soft_delete(in_alpha: Company, viewer: User, member: User, owner: User) -> None:
    with pytest.raises(PermissionDenied):
        contact_create(actor=viewer, last_name="No")
    contact = contact_create(actor=member, last_name="Yes")
    with pytest.raises(PermissionDenied):
        contact_delete(contact=contact, actor=member)
    contact = contact_delete(contact=contact, actor=owner)
    assert contact.deleted_at is not None
    with pytest.raises(ValidationError):
        contact_update(contact=contact, actor=member, expected_version=contact.version, source="x")
    assert contact_restore(contact=contact, actor=owner).deleted_at is None
