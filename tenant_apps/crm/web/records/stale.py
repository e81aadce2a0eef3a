"""What a person sees when they save a form opened before someone else's change: who changed
the record and when, and the current values next to theirs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms

from shared_apps.accounts.models import User
from tenant_apps.crm.web.records.kinds import initial_values
from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    import datetime

    from tenant_apps.crm.web.records.kinds import Kind


@dataclass
class Stale:
    actor: User | None
    at: datetime.datetime | None
    rows: list[tuple[str, str, str]]  # label, current value, the person's value


def _show(field: forms.Field, value: Any) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(field, forms.BooleanField):
        return "✓" if value else "—"
    choices = getattr(field, "choices", None)
    if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
        values = value if isinstance(value, list | tuple) else [value]
        if all(hasattr(v, "pk") for v in values):
            return ", ".join(str(v) for v in values)
        wanted = {str(getattr(v, "pk", v)) for v in values}
        queryset = field.queryset
        assert queryset is not None
        return ", ".join(str(o) for o in queryset.filter(pk__in=wanted))
    if choices is not None:
        flat: dict[str, str] = {}
        for key, label in choices:
            if isinstance(label, list | tuple):
                flat.update({str(k): str(v) for k, v in label})
            else:
                flat[str(key)] = str(label)
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(flat.get(str(getattr(v, "pk", v)), str(v)) for v in values)
    return str(value)


def stale_context(*, kind: Kind, record: Any, theirs: forms.Form) -> Stale:
    event = (
        AuditEvent.objects.filter(
            object_type=kind.model._meta.label_lower, object_id=str(record.pk)
        )
        .order_by("-created_at", "-id")
        .first()
    )
    actor = User.objects.filter(pk=event.actor_id).first() if event and event.actor_id else None
    current = initial_values(record)
    rows = []
    for name, field in theirs.fields.items():
        if name in ("version", "primary_email"):
            continue
        data: Any = theirs.data
        mine = (
            data.getlist(name)
            if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
            else data.get(name, "")
        )
        if isinstance(field, forms.BooleanField):
            mine = bool(mine)
        now = current.get(name, "")
        if isinstance(now, list) and isinstance(mine, list):
            same = sorted(map(str, now)) == sorted(map(str, mine))
        else:
            same = str(now if now is not None else "") == str(mine)
        if not same:
            rows.append((str(field.label), _show(field, now), _show(field, mine)))
    return Stale(actor=actor, at=event.created_at if event else None, rows=rows)
