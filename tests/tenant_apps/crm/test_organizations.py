from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import CustomFieldType, Organization
from tenant_apps.crm.services import (
    custom_field_create,
    organization_create,
    organization_delete,
    organization_restore,
    organization_update,
    tag_add,
    tag_remove,
)
from tenant_apps.history.models import AuditEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _audit(org: Organization) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="crm.organization", object_id=str(org.pk)).order_by(
            "id"
        )
    )


def test_create_normalises_and_audits(in_alpha: Company, member: User) -> None:
    org = organization_create(
        actor=member,
        name="  Acme  ",
        website="https://WWW.Acme.example/about",
        phone="+359 (2) 123-4567",
        email="Sales@Acme.Example",
        country="bg",
        owner=member,
    )
    assert (org.name, org.domain, org.phone, org.email, org.country) == (
        "Acme",
        "acme.example",
        "+35921234567",
        "sales@acme.example",
        "BG",
    )
    assert org.version == 1
    [event] = _audit(org)
    assert event.action == "crm.organization.created"
    assert event.actor_id == member.pk
    assert event.changes["name"] == [None, "Acme"]
    assert event.changes["owner"] == [None, member.pk]


def test_html_is_stored_as_given(in_alpha: Company, member: User) -> None:
    org = organization_create(actor=member, name=XSS, industry=XSS, street=XSS)
    org.refresh_from_db()
    assert org.name == org.industry == org.street == XSS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("phone", "12"),
        ("phone", "0888 123 456"),
        ("website", "not a url"),
        ("domain", "exa mple"),
        ("country", "Bulgaria"),
        ("country", "XY"),  # the right shape, but no such country
        ("size", "huge"),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(
    in_alpha: Company, member: User, field: str, value: str
) -> None:
    before = AuditEvent.objects.count()
    bad: dict[str, Any] = {field: value}  # any field, by name: not typed per field
    with pytest.raises(ValidationError) as exc:
        organization_create(actor=member, name="Bad", **bad)
    assert field in exc.value.message_dict
    assert not Organization.objects.filter(name="Bad").exists()
    assert AuditEvent.objects.count() == before


def test_owner_must_be_a_member(in_alpha: Company, member: User, beta: Company) -> None:
    stranger = make_user()
    with pytest.raises(ValidationError) as exc:
        organization_create(actor=member, name="X", owner=stranger)
    assert "owner" in exc.value.message_dict


def test_update_diff_version_and_stale_edit(in_alpha: Company, member: User, admin: User) -> None:
    org = organization_create(actor=member, name="Old", city="Sofia")
    opened = org.version
    org = organization_update(
        organization=org, actor=member, expected_version=opened, name="New", city="Sofia"
    )
    assert org.version == opened + 1
    assert _audit(org)[-1].changes == {"name": ["Old", "New"]}

    # Someone who opened the form before that edit is refused; nothing is overwritten.
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        organization_update(organization=org, actor=admin, expected_version=opened, name="Lost")
    assert exc.value.code == "stale"
    assert exc.value.messages == ["This record was changed by someone else since you opened it."]
    org.refresh_from_db()
    assert org.name == "New"


def test_update_bad_input_leaves_row_unchanged(in_alpha: Company, member: User) -> None:
    org = organization_create(actor=member, name="Keep")
    with pytest.raises(ValidationError):
        organization_update(
            organization=org, actor=member, expected_version=1, name="Changed", email="x@"
        )
    org.refresh_from_db()
    assert (org.name, org.version) == ("Keep", 1)


def test_soft_delete_and_restore(in_alpha: Company, member: User, admin: User) -> None:
    org = organization_create(actor=member, name="Gone")
    with pytest.raises(PermissionDenied):
        organization_delete(organization=org, actor=member)
    org = organization_delete(organization=org, actor=admin)
    assert org.deleted_at is not None
    assert Organization.objects.filter(pk=org.pk).exists()
    org = organization_restore(organization=org, actor=admin)
    assert org.deleted_at is None
    assert [e.action for e in _audit(org)] == [
        "crm.organization.created",
        "crm.organization.deleted",
        "crm.organization.restored",
    ]


def test_restore_only_within_30_days(in_alpha: Company, member: User, owner: User) -> None:
    org = organization_create(actor=member, name="Old bin")
    Organization.objects.filter(pk=org.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    with pytest.raises(ValidationError):
        organization_restore(organization=org, actor=owner)


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("create", {"owner", "admin", "member"}),
        ("edit", {"owner", "admin", "member"}),
        ("delete", {"owner", "admin"}),
    ],
)
def test_roles(
    in_alpha: Company,
    owner: User,
    admin: User,
    member: User,
    viewer: User,
    action: str,
    allowed: set[str],
) -> None:
    outsider = make_user()
    for role, user in {
        "owner": owner,
        "admin": admin,
        "member": member,
        "viewer": viewer,
        "outsider": outsider,
    }.items():
        org = Organization.objects.create(name=f"r-{role}")

        def call(user: User = user, org: Organization = org) -> object:
            if action == "create":
                return organization_create(actor=user, name="R")
            if action == "edit":
                return organization_update(
                    organization=org, actor=user, expected_version=1, name="R2"
                )
            return organization_delete(organization=org, actor=user)

        if role in allowed:
            call()
        else:
            with pytest.raises(PermissionDenied):
                call()


def test_custom_fields_validated(in_alpha: Company, admin: User, member: User) -> None:
    with pytest.raises(PermissionDenied):
        custom_field_create(
            actor=member, entity="organization", key="employees", label="E", type="number"
        )
    custom_field_create(
        actor=admin, entity="organization", key="employees", label="E", type=CustomFieldType.NUMBER
    )
    custom_field_create(
        actor=admin, entity="organization", key="founded", label="F", type=CustomFieldType.DATE
    )
    custom_field_create(
        actor=admin,
        entity="organization",
        key="tier",
        label="T",
        type=CustomFieldType.CHOICE,
        choices=["gold", "silver"],
        required=True,
    )
    custom_field_create(
        actor=admin, entity="organization", key="partner", label="P", type=CustomFieldType.BOOL
    )
    org = organization_create(
        actor=member,
        name="CF",
        custom_fields={"employees": "12", "founded": "2001-02-03", "tier": "gold", "partner": True},
    )
    assert org.custom_fields == {
        "employees": 12,
        "founded": "2001-02-03",
        "tier": "gold",
        "partner": True,
    }
    with pytest.raises(ValidationError) as exc:
        organization_create(
            actor=member,
            name="CF2",
            custom_fields={"employees": "many", "founded": "2001-02-31", "partner": "yes"},
        )
    assert set(exc.value.message_dict) == {
        "custom_fields.employees",
        "custom_fields.founded",
        "custom_fields.partner",
        "custom_fields.tier",
    }
    assert not Organization.objects.filter(name="CF2").exists()


def test_tags_case_insensitive(in_alpha: Company, member: User, viewer: User) -> None:
    org = organization_create(actor=member, name="Tagged")
    tag = tag_add(target=org, name="VIP", actor=member)
    assert tag_add(target=org, name="vip", actor=member) == tag
    assert [t.name for t in org.tags.all()] == ["VIP"]
    with pytest.raises(PermissionDenied):
        tag_remove(target=org, tag=tag, actor=viewer)
    tag_remove(target=org, tag=tag, actor=member)
    assert not org.tags.exists()
    actions = [e.action for e in _audit(org)]
    assert actions[-2:] == ["crm.organization.tag_added", "crm.organization.tag_removed"]


def test_beta_cannot_see_alpha_rows(alpha: Company, member: User) -> None:
    with schema_context("alpha"):
        organization_create(actor=member, name="Alpha only")
    with schema_context("beta"):
        assert not Organization.objects.filter(name="Alpha only").exists()
        # An alpha member has no role in beta.
        with pytest.raises(PermissionDenied):
            organization_create(actor=member, name="Sneaky")
