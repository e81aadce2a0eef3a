from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def audit_record(
    *, actor: User | None, action: str, target: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    """Record a write in the current company's schema, inside the caller's transaction."""
    return AuditEvent.objects.create(
        actor=actor,
        action=action,
        object_type=target._meta.label_lower,
        object_id=str(target.pk),
        changes=changes or {},
    )
