from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models, router
from django.db.models.signals import post_save

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


def audit_records(
    *,
    actor: User | None,
    entries: Iterable[tuple[str, models.Model, dict[str, Any] | None]],
) -> list[AuditEvent]:
    """`audit_record` for many writes at once (action, target, changes): one INSERT. The
    `post_save` receivers (the dashboard's cache) hear of every row as of a single one."""
    events = [
        AuditEvent(
            actor=actor,
            action=action,
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
            changes={k: v for k, v in (changes or {}).items() if not blank_pair(v)},
        )
        for action, target, changes in entries
    ]
    if not events:
        return events
    AuditEvent.objects.bulk_create(events)
    using = router.db_for_write(AuditEvent)
    for event in events:
        post_save.send(
            sender=AuditEvent,
            instance=event,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )
    return events


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def blank_pair(value: Any) -> bool:
    """An audit `[old, new]` pair with nothing on either side."""
    return isinstance(value, list) and len(value) == 2 and _blank(value[0]) and _blank(value[1])
