"""Single-use sign-in tokens: the part the login handoff (handoff.py) and the emailed sign-in
link (login_link.py) share.

A token row stores only sha256(token), its person, its expiry and when it was spent. Issuing
returns the raw token (shown once, never stored). Spending looks the row up under a row lock
and marks it used on the first attempt, whatever the outcome, so a token never works twice;
each flow maps the failure kind to its own errors and adds its own checks.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, Literal, TypeVar

from django.utils import timezone

from shared_apps.accounts.models import LoginHandoff, LoginLink, User

# token_urlsafe(32) gives 43 characters; anything far longer is not one of ours.
MAX_TOKEN_LENGTH = 128

Row = TypeVar("Row", LoginHandoff, LoginLink)
Failure = Literal["invalid", "used", "expired"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def single_use_issue(*, model: type[Row], user: User, ttl: timedelta, **fields: Any) -> str:
    """Store a fresh token row of `model` for `user`, valid for `ttl`; returns the raw token."""
    token = secrets.token_urlsafe(32)
    model.objects.create(
        token_hash=token_hash(token), user=user, expires_at=timezone.now() + ttl, **fields
    )
    return token


def single_use_spend(*, model: type[Row], token: str) -> tuple[Row | None, Failure | None]:
    """The row of `model` that `token` names, spent now, and why it is refused (None when it
    is good so far). Call inside a transaction: the row lock makes parallel attempts at one
    token queue up, and the second sees used_at set by the first. An unknown token gives
    (None, "invalid"); a spent one (row, "used"); an expired one is spent and gives
    (row, "expired")."""
    row = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        row = (
            model.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=token_hash(token))
            .first()
        )
    if row is None:
        return None, "invalid"
    if row.used_at is not None:
        return row, "used"
    now = timezone.now()
    row.used_at = now
    row.save(update_fields=["used_at"])
    if row.expires_at <= now:
        return row, "expired"
    return row, None
