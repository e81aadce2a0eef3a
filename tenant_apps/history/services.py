from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def audit_record(
    *, actor: User | None, action: str, target: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    """Record a write in the current company's schema, inside the caller's transaction.
    An old → new pair where both sides are blank (None, "", [] or {}) is dropped: it changed
    nothing a person could see."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        changes={k: v for k, v in (changes or {}).items() if not blank_pair(v)},
    )


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def blank_pair(value: Any) -> bool:
    """An audit `[old, new]` pair with nothing on either side."""
    return isinstance(value, list) and len(value) == 2 and _blank(value[0]) and _blank(value[1])
