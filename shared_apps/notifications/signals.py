"""Emails triggered by signals: the new-device sign-in notice.

Connected to Django's `user_logged_in`, which fires inside `login()`, before allauth's own
`user_logged_in` (whose receiver records this sign-in as a SecurityEvent): so the history
read here is the history *before* this sign-in.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import signals as auth_signals
from django.http import HttpRequest
from django.utils import timezone

from shared_apps.audit.models import SecurityEvent
from shared_apps.audit.security import client_ip
from shared_apps.notifications.services import email_enqueue, public_origin

logger = logging.getLogger(__name__)

SIGN_IN_KINDS = (SecurityEvent.Kind.LOGIN, SecurityEvent.Kind.HANDOFF)


def sign_in_is_from_new_device(*, user: Any, ip: str | None, user_agent: str) -> bool:
    """True if `user` has signed in before, but never from this (IP, browser) pair. A first
    sign-in ever is not "new": there is nothing to compare with."""
    history = SecurityEvent.objects.filter(user=user, kind__in=SIGN_IN_KINDS)
    if not history.exists():
        return False
    return not history.filter(ip=ip, user_agent=user_agent).exists()


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or user is None or not getattr(user, "pk", None):
        return
    try:
        ip = client_ip(request)
        user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        if not sign_in_is_from_new_device(user=user, ip=ip, user_agent=user_agent):
            return
        now = timezone.now()
        try:
            zone = ZoneInfo(user.time_zone)
        except Exception:
            zone = ZoneInfo("Europe/Sofia")
        pair = hashlib.sha256(f"{ip}|{user_agent}".encode()).hexdigest()[:16]
        email_enqueue(
            template="new_device",
            to_user=user,
            context={
                "when": timezone.localtime(now, zone).strftime("%Y-%m-%d %H:%M %Z"),
                "ip": ip or "?",
                "user_agent": user_agent or "?",
                "security_url": f"{public_origin()}/accounts/sessions/",
            },
            idempotency_key=f"new_device:{user.pk}:{pair}:{int(now.timestamp())}",
        )
    except Exception:
        # A notice must never break a sign-in.
        logger.exception("new-device notice failed for user %s", user.pk)


def connect() -> None:
    auth_signals.user_logged_in.connect(
        on_logged_in, dispatch_uid="shared_apps.notifications.signals.new_device"
    )
