from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import CustomField, CustomFieldType
from tenant_apps.crm.services.common import created_changes, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@transaction.atomic
def custom_field_create(
    *,
    actor: User,
    entity: str,
    key: str,
    label: str,
    type: str,
    choices: Sequence[str] = (),
    required: bool = False,
) -> CustomField:
    crm_access(actor=actor, action="configure")
    field = CustomField(
        entity=entity,
        key=key.strip(),
        label=label.strip(),
        type=type,
        choices=[str(c).strip() for c in choices if str(c).strip()],
        required=required,
    )
    full_clean(field)
    if field.type == CustomFieldType.CHOICE and not field.choices:
        raise ValidationError({"choices": _("Give at least one choice.")})
    field.save()
    record_audit(
        actor=actor,
        action="crm.custom_field.created",
        target=field,
        changes=created_changes(field, ["entity", "key", "label", "type", "choices", "required"]),
    )
    return field
