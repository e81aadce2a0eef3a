"""Record security events: a SecurityEvent row plus a structured line on the `security` log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from shared_apps.audit.models import SecurityEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

logger = logging.getLogger("security")

_SECRET_WORDS = ("password", "token", "secret", "code", "key")


def client_ip(request: HttpRequest | None) -> str | None:
    """The client address as allauth computes it (trusted proxy count, not raw headers)."""
    if request is None:
        return None
    from allauth.account.adapter import get_adapter

    try:
        return str(get_adapter(request).get_client_ip(request)) or None
    except Exception:
        return request.META.get("REMOTE_ADDR") or None


def security_event_record(
    *,
    kind: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    email: str = "",
    company_id: int | None = None,
    data: dict[str, Any] | None = None,
    account: bool = False,
) -> SecurityEvent:
    """Store and log one event. `data` must not hold secrets; keys that look like one are
    dropped defensively.

    `account=True` marks an event of the person's account (password, two-factor, ending
    sessions): it belongs to no company, whatever host it happened on, so it shows on the
    person's own security page and in the platform admin, never in a company's log."""
    clean = {
        k: v for k, v in (data or {}).items() if not any(w in k.lower() for w in _SECRET_WORDS)
    }
    if account:
        company_id = None
    elif company_id is None and request is not None:
        company_id = getattr(getattr(request, "tenant", None), "pk", None)
    if user is not None and not email:
        email = user.email
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        email=email or "",
        company_id=company_id,
        ip=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        data=clean,
    )
    fields = {
        "event": kind,
        "user_id": event.user_id,
        "company_id": company_id,
        "ip": event.ip,
        **{f"data_{k}": v for k, v in clean.items()},
    }
    # One structured line (key=value; JSON once the log formatter is JSON) per event.
    logger.info(
        "security_event %s",
        " ".join(f"{k}={_log_value(v)}" for k, v in fields.items()),
        extra=fields,
    )
    return event


def _log_value(value: Any) -> str:
    text = "-" if value is None else str(value)
    return f'"{text}"' if (" " in text or not text) else text
