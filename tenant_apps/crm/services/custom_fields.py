"""Custom field definitions (company configuration, for owners and admins).

The key and the type are fixed once created (stored values are keyed and shaped by them);
label, required, choices and position can change. Deleting a field also removes its values
from every record (deleted ones included), so a later field with the same key never
inherits values of another shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import (
    Contact,
    CustomField,
    CustomFieldEntity,
    CustomFieldType,
    Deal,
    Organization,
)
from tenant_apps.crm.services.common import (
    created_changes,
    fields_assign,
    full_clean,
    record_audit,
    validate_all,
)

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_WITH_CHOICES = (CustomFieldType.CHOICE, CustomFieldType.MULTI)
_RECORDS: dict[str, type[models.Model]] = {
    CustomFieldEntity.ORGANIZATION: Organization,
    CustomFieldEntity.CONTACT: Contact,
    CustomFieldEntity.DEAL: Deal,
}
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 100


def _choices_clean(field_type: str, choices: Sequence[Any]) -> list[str]:
    """Trimmed, non-empty, each once (case-insensitively); required for choice types and
    dropped for the others."""
    if field_type not in _WITH_CHOICES:
        return []
    cleaned: list[str] = []
    seen: set[str] = set()
    for raw in choices:
        choice = " ".join(str(raw).split())
        if not choice:
            continue
        if choice.casefold() in seen:
            raise ValidationError(
                {"choices": _("“%(choice)s” is listed twice.") % {"choice": choice}}
            )
        if len(choice) > MAX_CHOICE_LENGTH:
            raise ValidationError(
                {
                    "choices": _("A choice can have at most %(max)d characters.")
                    % {"max": MAX_CHOICE_LENGTH}
                }
            )
        seen.add(choice.casefold())
        cleaned.append(choice)
    if not cleaned:
        raise ValidationError({"choices": _("Give at least one choice.")})
    if len(cleaned) > MAX_CHOICES:
        raise ValidationError(
            {"choices": _("Give at most %(max)d choices.") % {"max": MAX_CHOICES}}
        )
    return cleaned


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
    position: int | None = None,
) -> CustomField:
    """A new field of `entity`, by default after its last field."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    field = CustomField(
        entity=entity, key=key.strip().lower(), label=label.strip(), type=type, required=required
    )
    if position is None:
        last = CustomField.objects.filter(entity=entity).aggregate(m=models.Max("position"))["m"]
        position = (last + 1) if last is not None else 0
    field.position = position

    def choices_set() -> None:
        field.choices = _choices_clean(type, choices)

    def key_free() -> None:
        if field.key and CustomField.objects.filter(entity=entity, key=field.key).exists():
            raise ValidationError({"key": _("This object type already has a field with this key.")})

    # the key's uniqueness is checked above, as a field error; field validation covers the
    # entity and type choices the check constraints enforce
    validate_all(
        choices_set,
        key_free,
        lambda: field.full_clean(exclude=["choices"], validate_constraints=False),
    )
    field.save()
    record_audit(
        actor=actor,
        action="crm.custom_field.created",
        target=field,
        changes=created_changes(
            field, ["entity", "key", "label", "type", "choices", "required", "position"]
        ),
    )
    return field


@transaction.atomic
def custom_field_update(
    *,
    field: CustomField,
    actor: User,
    label: str,
    required: bool,
    choices: Sequence[str] = (),
    position: int,
) -> CustomField:
    """Change label, required, choices or position. Values already stored that are no
    longer among the choices stay in the records until they are next edited."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = CustomField.objects.select_for_update().get(pk=field.pk)
    diff: dict[str, list[Any]] = {}

    def assign() -> None:
        cleaned = _choices_clean(current.type, choices)
        diff.update(
            fields_assign(
                current,
                {
                    "label": label.strip(),
                    "required": required,
                    "choices": cleaned,
                    "position": position,
                },
                allowed=["label", "required", "choices", "position"],
            )
        )

    validate_all(assign, lambda: full_clean(current, exclude=["choices"]))
    if diff:
        current.save()
        record_audit(actor=actor, action="crm.custom_field.updated", target=current, changes=diff)
    return current


@transaction.atomic
def custom_field_delete(*, field: CustomField, actor: User) -> int:
    """Delete the definition and remove its values from every record of its type (deleted
    ones too). Returns how many records had a value. Records keep their version: removing
    a value nobody can see any more is not an edit anyone could conflict with."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = CustomField.objects.select_for_update().get(pk=field.pk)
    model = _RECORDS[current.entity]
    key = current.key
    cleared = model._default_manager.filter(custom_fields__has_key=key).update(
        custom_fields=Func(
            F("custom_fields"),
            Cast(Value(key), TextField()),
            template="(%(expressions)s)",
            arg_joiner=" - ",
            output_field=models.JSONField(),
        )
    )
    record_audit(
        actor=actor,
        action="crm.custom_field.deleted",
        target=current,
        changes={
            "key": [key, None],
            "label": [current.label, None],
            "type": [current.type, None],
            "values_removed": [cleared, None],
        },
    )
    current.delete()
    return cleared
