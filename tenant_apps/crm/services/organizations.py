"""Organization writes. Roles: `access.py`; stale edits, owners, custom fields and the audit
row: `common.py`. The domain is derived from the website when it is not given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from django.db import transaction

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import CustomFieldEntity, Organization
from tenant_apps.crm.record_fields import (
    ORGANIZATION_FIELDS,
    OrganizationChanges,
    OrganizationFields,
)
from tenant_apps.crm.services.common import (
    ErrorDict,
    created_changes,
    custom_fields_clean,
    field_try,
    fields_assign,
    locked_current,
    record_audit,
    record_changed,
    record_validate,
    restore,
    soft_delete,
    text_normalize,
)
from tenant_apps.crm.validators import domain_normalize, phone_normalize

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_TEXT = tuple(f for f in ORGANIZATION_FIELDS if f not in ("owner", "custom_fields"))


def _prepare(values: dict[str, Any]) -> tuple[dict[str, Any], ErrorDict]:
    values = dict(values)
    text_normalize(values, _TEXT)
    errors: ErrorDict = {}
    if values.get("email"):
        values["email"] = values["email"].lower()
    if values.get("country"):
        values["country"] = values["country"].upper()
    if values.get("phone"):
        phone = values["phone"]
        values["phone"] = field_try(errors, "phone", lambda: phone_normalize(phone)) or phone
    if values.get("domain"):
        domain = values["domain"]
        values["domain"] = field_try(errors, "domain", lambda: domain_normalize(domain)) or ""
    elif "domain" not in values and values.get("website"):
        website = values["website"]
        values["domain"] = field_try(errors, "website", lambda: domain_normalize(website)) or ""
    if "custom_fields" in values:
        raw = values["custom_fields"] or {}
        cleaned = field_try(
            errors,
            "custom_fields",
            lambda: custom_fields_clean(entity=CustomFieldEntity.ORGANIZATION, values=raw),
        )
        values["custom_fields"] = cleaned if cleaned is not None else {}
    return values, errors


@transaction.atomic
def organization_create(
    *, actor: User, name: str, **fields: Unpack[OrganizationFields]
) -> Organization:
    crm_access(actor=actor, action=Action.RECORD_CREATE)
    values, errors = _prepare({"name": name, "custom_fields": {}, **fields})
    organization = Organization()
    fields_assign(organization, values, allowed=ORGANIZATION_FIELDS)
    record_validate(organization, values=values, errors=errors)
    organization.save()
    record_audit(
        actor=actor,
        action="crm.organization.created",
        target=organization,
        changes=created_changes(organization, values),
    )
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: User,
    expected_version: int,
    **changes: Unpack[OrganizationChanges],
) -> Organization:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = locked_current(organization, expected_version=expected_version)
    values, errors = _prepare(dict(changes))
    diff = fields_assign(current, values, allowed=ORGANIZATION_FIELDS)
    record_validate(current, values=values, errors=errors)
    return record_changed(current=current, actor=actor, diff=diff)


@transaction.atomic
def organization_delete(*, organization: Organization, actor: User) -> Organization:
    """Soft delete, restorable for 30 days with `organization_restore`."""
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    return soft_delete(instance=organization, actor=actor)


@transaction.atomic
def organization_restore(*, organization: Organization, actor: User) -> Organization:
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    return restore(instance=organization, actor=actor)
