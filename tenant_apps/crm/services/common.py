"""Pieces every CRM write service shares: field assignment with an old → new diff, the
stale-edit check, owner and custom-field validation, and the audit row."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from tenant_apps.crm.access import is_company_member
from tenant_apps.crm.models import CustomField, CustomFieldType
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.validators import number_parse
from tenant_apps.history.services import audit_record

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

M = TypeVar("M", bound=models.Model)
R = TypeVar("R", bound=RecordModel)
Changes = dict[str, list[Any]]

RESTORE_WINDOW = datetime.timedelta(days=30)


def json_value(value: Any) -> Any:
    """A value as it goes into the audit row's JSON."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def is_blank(value: Any) -> bool:
    """Nothing there: None, "" or an empty list or mapping. A change from one blank to
    another (None → "") is no change worth an audit line."""
    return value is None or value == "" or value == [] or value == {}


def fields_assign(
    instance: models.Model, values: Mapping[str, Any], *, allowed: Iterable[str]
) -> Changes:
    """Set `values` on `instance` and return the fields that change, as old → new.
    A foreign key is given as an object or None and recorded by id."""
    allowed = set(allowed)
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"Unknown fields for {type(instance).__name__}: {sorted(unknown)}")
    changes: Changes = {}
    for name, new in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_one:
            old_id = getattr(instance, f"{name}_id")
            new_id = new.pk if new is not None else None
            if old_id != new_id and not (is_blank(old_id) and is_blank(new_id)):
                changes[name] = [old_id, new_id]
            setattr(instance, name, new)
            continue
        old = getattr(instance, name)
        if old != new and not (is_blank(old) and is_blank(new)):
            changes[name] = [json_value(old), json_value(new)]
        setattr(instance, name, new)
    return changes


def text_normalize(values: dict[str, Any], names: Iterable[str]) -> None:
    """Trim surrounding whitespace. Markup is kept as given: templates escape it."""
    for name in names:
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()


def owner_check(values: Mapping[str, Any], field: str = "owner") -> None:
    owner = values.get(field)
    if owner is not None and not is_company_member(owner.pk):
        raise ValidationError(
            {field: _("Choose a member of this company.")}, code="owner_not_member"
        )


def validate_all(*checks: Callable[[], object]) -> None:
    """Run every check and raise one `ValidationError` with all their errors, so the user
    sees every problem at once and nothing is saved."""
    errors: dict[str, list[ValidationError]] = {}
    for check in checks:
        try:
            check()
        except ValidationError as exc:
            exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def full_clean(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    # Many-to-many and reverse relations are saved separately; everything else, constraints
    # included, is checked here so that a refused write saves nothing.
    instance.full_clean(exclude=list(exclude), validate_constraints=True)


def locked_current(instance: R, *, expected_version: int) -> R:
    """The row as it is now, locked; `ValidationError` when it changed since the caller
    read version `expected_version`, or when it is deleted."""
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if current.version != expected_version:
        raise ValidationError(
            _("This record was changed by someone else since you opened it."), code="stale"
        )
    if current.deleted_at is not None:
        raise ValidationError(_("This record has been deleted."), code="deleted")
    return current


def record_audit(*, actor: User, action: str, target: models.Model, changes: Changes) -> None:
    audit_record(actor=actor, action=action, target=target, changes=changes)


def _kind(instance: models.Model) -> str:
    return str(instance._meta.model_name)


def record_changed(*, current: R, actor: User, diff: Changes, search_refresh: bool = True) -> R:
    """How every record update ends: nothing changed, nothing written; otherwise a new
    version, the save and one `crm.<kind>.updated` audit row. `search_refresh=False`: the
    service has set `search_text` itself."""
    if not diff:
        return current
    current.version += 1
    current.save(search_refresh=search_refresh)
    record_audit(actor=actor, action=f"crm.{_kind(current)}.updated", target=current, changes=diff)
    return current


def soft_delete(*, instance: R, actor: User, action: str | None = None) -> R:
    """Soft delete (restorable for RESTORE_WINDOW); `action` defaults to crm.<kind>.deleted."""
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if current.deleted_at is not None:
        return current
    current.deleted_at = timezone.now()
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated_at"])
    record_audit(
        actor=actor,
        action=action or f"crm.{_kind(current)}.deleted",
        target=current,
        changes={"deleted_at": [None, json_value(current.deleted_at)]},
    )
    return current


def restore(*, instance: R, actor: User, action: str | None = None) -> R:
    """Undo `soft_delete` within RESTORE_WINDOW; `action` defaults to crm.<kind>.restored."""
    current = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if current.deleted_at is None:
        return current
    if current.deleted_at < timezone.now() - RESTORE_WINDOW:
        raise ValidationError(
            _("Deleted records can be restored for 30 days only."), code="restore_expired"
        )
    old = current.deleted_at
    current.deleted_at = None
    current.version += 1
    current.save(update_fields=["deleted_at", "version", "updated_at"])
    record_audit(
        actor=actor,
        action=action or f"crm.{_kind(current)}.restored",
        target=current,
        changes={"deleted_at": [json_value(old), None]},
    )
    return current


def _custom_value(field: CustomField, value: Any) -> Any:
    """The value to store, or `ValueError` when it does not fit the field's type."""
    kind = field.type
    if kind == CustomFieldType.TEXT:
        if not isinstance(value, str):
            raise ValueError
        return value.strip()
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
        elif isinstance(value, str):
            try:
                number = number_parse(value)
            except ValidationError as exc:
                if exc.code == "invalid_number":
                    raise ValueError from exc
                raise  # its own message: an ambiguous `1.234` says how to write it
        else:
            raise ValueError
        if not number.is_finite():
            raise ValueError
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomFieldType.DATE:
        if isinstance(value, datetime.datetime):
            raise ValueError
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            parsed = parse_date(value.strip()) if isinstance(value, str) else None
        except ValueError as exc:  # well formed but impossible, e.g. 30 February
            raise ValueError from exc
        if parsed is None:
            raise ValueError
        return parsed.isoformat()
    if kind == CustomFieldType.CHOICE:
        if value not in (field.choices or []):
            raise ValueError
        return value
    if kind == CustomFieldType.BOOL:
        if not isinstance(value, bool):
            raise ValueError
        return value
    if kind == CustomFieldType.MULTI:
        # a list of the field's choices, each once, kept in the order of the choices
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError
        allowed = field.choices or []
        if any(not isinstance(v, str) or v not in allowed for v in value):
            raise ValueError
        if len(set(value)) != len(value) or (field.required and not value):
            raise ValueError
        return [c for c in allowed if c in value]
    if kind == CustomFieldType.URL:
        if not isinstance(value, str):
            raise ValueError
        url = value.strip()
        try:
            _URL_VALIDATOR(url)
        except ValidationError as exc:
            raise ValueError from exc
        return url
    raise ValueError


_URL_VALIDATOR = URLValidator(schemes=["http", "https"])


_TYPE_MESSAGES = {
    CustomFieldType.TEXT: lambda: _("Enter text."),
    CustomFieldType.NUMBER: lambda: _("Enter a number."),
    CustomFieldType.DATE: lambda: _("Enter a valid date (YYYY-MM-DD)."),
    CustomFieldType.CHOICE: lambda: _("Choose one of the offered values."),
    CustomFieldType.BOOL: lambda: _("Choose yes or no."),
    CustomFieldType.MULTI: lambda: _("Choose among the offered values, each at most once."),
    CustomFieldType.URL: lambda: _("Enter a valid link starting with http:// or https://."),
}


def custom_fields_clean(*, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate custom field values against the definitions for `entity`.

    Errors are field-level, keyed `custom_fields.<key>`, so a form can show each one next to
    its input. Empty values ("" or None) are dropped; a required field must have a value.
    """
    if not isinstance(values, Mapping):
        raise ValidationError({"custom_fields": _("Custom field values must be a mapping.")})
    definitions = {f.key: f for f in CustomField.objects.filter(entity=entity)}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors[f"custom_fields.{key}"] = _("There is no custom field “%(key)s”.") % {"key": key}
            continue
        if value is None or value == "":
            continue
        try:
            cleaned[key] = _custom_value(definition, value)
        except ValidationError as exc:
            errors[f"custom_fields.{key}"] = exc.messages[0]
        except ValueError:
            errors[f"custom_fields.{key}"] = _TYPE_MESSAGES[CustomFieldType(definition.type)]()
    for key, definition in definitions.items():
        if definition.required and key not in cleaned and f"custom_fields.{key}" not in errors:
            errors[f"custom_fields.{key}"] = _("This field is required.")
    if errors:
        raise ValidationError(errors)
    return cleaned


ErrorDict = dict[str, list[ValidationError]]


def field_try(errors: ErrorDict, field: str, func: Callable[[], Any]) -> Any:
    """`func()`, or None with its error recorded under `field`."""
    try:
        return func()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            exc.update_error_dict(errors)
        else:
            errors.setdefault(field, []).extend(exc.error_list)
        return None


def record_validate(
    instance: models.Model,
    *,
    values: Mapping[str, Any],
    errors: ErrorDict,
) -> None:
    """Input errors found while normalising, the owner rule and the model's own validation
    (fields, `clean`, constraints), raised as one field-level `ValidationError`."""

    def prepared() -> None:
        if errors:
            raise ValidationError(errors)

    validate_all(
        prepared,
        lambda: owner_check(values),
        lambda: full_clean(instance, exclude=[*errors, "custom_fields"]),
    )


def created_changes(instance: models.Model, names: Iterable[str]) -> Changes:
    """The fields a new row was created with, as None → value; blank ones are left out
    (a new record without an owner is not an "Owner: — → —" change)."""
    changes: Changes = {}
    for name in names:
        field = instance._meta.get_field(name)
        attname = f"{name}_id" if field.many_to_one else name
        value = getattr(instance, attname)
        if not is_blank(value):
            changes[name] = [None, json_value(value)]
    return changes
