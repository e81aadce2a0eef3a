from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import models

from shared_apps.audit.models import PlatformEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from shared_apps.tenants.models import Company

logger = logging.getLogger("audit")


def platform_event_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    company: Company | None = None,
    data: dict[str, Any] | None = None,
) -> PlatformEvent:
    """Record a write in the public schema. Called inside the writing service's transaction."""
    event = PlatformEvent.objects.create(
        actor=actor,
        company_id=company.pk if company is not None else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )
    logger.info(
        "%s %s:%s by %s",
        action,
        event.target_type,
        event.target_id,
        actor.pk if actor is not None else "system",
    )
    return event
