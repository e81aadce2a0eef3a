"""The one list of fields per kind of record that create, update and the merge plan use."""

from __future__ import annotations

from typing import Any

import pytest

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.merge_plan import CONTACT_MERGE_FIELDS, ORGANIZATION_MERGE_FIELDS
from tenant_apps.crm.models import Organization
from tenant_apps.crm.record_fields import CONTACT_FIELDS, DEAL_FIELDS, ORGANIZATION_FIELDS
from tenant_apps.crm.services import organization_create, organization_update


def test_field_lists_name_every_writable_field_once() -> None:
    assert ORGANIZATION_FIELDS == (
        "name", "website", "domain", "phone", "email", "street", "city", "postcode",
        "country", "industry", "size", "vat_number", "owner", "custom_fields",
    )  # fmt: skip
    assert sorted(DEAL_FIELDS) == sorted(
        (
            "name", "amount", "currency", "pipeline", "stage", "organization", "owner",
            "expected_close_date", "lost_reason", "lost_reason_choice", "status",
            "custom_fields",
        )
    )  # fmt: skip
    assert CONTACT_FIELDS == (
        "first_name", "last_name", "job_title", "organization", "owner", "lifecycle_stage",
        "source", "do_not_contact", "custom_fields",
    )  # fmt: skip
    for names in (ORGANIZATION_FIELDS, DEAL_FIELDS, CONTACT_FIELDS):
        assert len(set(names)) == len(names)


def test_merge_offers_the_same_fields_less_the_custom_ones() -> None:
    assert CONTACT_FIELDS[:-1] == CONTACT_MERGE_FIELDS
    assert ORGANIZATION_FIELDS[:-1] == ORGANIZATION_MERGE_FIELDS


@pytest.mark.django_db
def test_an_unknown_field_is_refused_and_nothing_is_written(
    in_alpha: Company, member: User
) -> None:
    org = organization_create(actor=member, name="Acme")
    unknown: dict[str, Any] = {"version": 7}  # mypy refuses it by name; at run time too
    with pytest.raises(TypeError):
        organization_update(organization=org, actor=member, expected_version=org.version, **unknown)
    assert Organization.objects.get(pk=org.pk).version == org.version
