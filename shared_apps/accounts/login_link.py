"""One-time sign-in link by email: the way in for a person whose account is locked after
failed sign-ins (lockout.py), shaped like the login handoff (handoff.py).

Anyone may ask for a link for an address; only an active account with that verified address
gets one, and the answer is the same either way (no account enumeration). Requests are
limited per address and per client IP (global cache counters; no cache, no link: 503). The
link is on the public host, valid LOGIN_LINK_TTL_SECONDS, single-use, and stored only as
sha256(token). Opening it shows a button; the sign-in happens on POST, so a mail scanner that
fetches links does not spend it. Signing in through it still asks for the second factor.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import LoginLink, User
from shared_apps.accounts.public_links import public_url
from shared_apps.accounts.single_use import (
    MAX_TOKEN_LENGTH,
    Failure,
    single_use_issue,
    single_use_spend,
    token_hash,
)
from shared_apps.audit.models import SecurityEvent
from shared_apps.audit.security import client_ip, security_event_record

_WINDOW = 3600


class LoginLinkError(Exception):
    """A link was refused. `message` is safe to show to the person."""

    reason = "invalid"
    message = _("This sign-in link is not valid. Ask for a new one.")

    def __str__(self) -> str:
        return str(self.message)


class LoginLinkInvalid(LoginLinkError):
    reason = "invalid"


class LoginLinkUsed(LoginLinkError):
    reason = "used"
    message = _("This sign-in link has already been used. Ask for a new one.")


class LoginLinkExpired(LoginLinkError):
    reason = "expired"
    message = _("This sign-in link has expired. Ask for a new one.")


class LoginLinkInactive(LoginLinkError):
    reason = "inactive"
    message = _("This account is disabled.")


class LoginLinkLimited(LoginLinkError):
    reason = "limited"
    message = _("Too many sign-in links were asked for. Try again later.")


_FAILURES: dict[Failure, type[LoginLinkError]] = {
    "invalid": LoginLinkInvalid,
    "used": LoginLinkUsed,
    "expired": LoginLinkExpired,
}


def _over_limit(key: str, limit: int) -> bool:
    cache.add(key, 0, _WINDOW)
    return int(cache.incr(key)) > limit


@transaction.atomic
def login_link_send(*, email: str, request: HttpRequest | None) -> None:
    """Email a one-time sign-in link to `email` if it is an active account's verified
    address; silently nothing otherwise. Raises LoginLinkLimited past the request limits."""
    from shared_apps.accounts.adapters import AccountAdapter

    email = email.strip().lower()[:254]
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    ip = client_ip(request) or "-"
    if _over_limit(f"loginlink:ip:{ip}", settings.LOGIN_LINK_PER_IP_PER_HOUR) or _over_limit(
        f"loginlink:email:{digest}", settings.LOGIN_LINK_PER_EMAIL_PER_HOUR
    ):
        raise LoginLinkLimited
    address = (
        EmailAddress.objects.select_related("user")
        .filter(email__iexact=email, verified=True, user__is_active=True)
        .first()
    )
    if address is None:
        return
    user = address.user
    ttl = timedelta(seconds=settings.LOGIN_LINK_TTL_SECONDS)
    token = single_use_issue(model=LoginLink, user=user, ttl=ttl)
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_LINK,
        request=request,
        user=user,
        data={"step": "sent"},
        account=True,
    )
    context = {
        "user": user,
        "login_link_url": public_url("account_login_link_open", token=token),
        "minutes": max(1, settings.LOGIN_LINK_TTL_SECONDS // 60),
    }
    # allauth's mail path: rendered in the person's language, sent after commit by a worker.
    AccountAdapter(request).send_mail("account/email/login_link", address.email, context)


def login_link_redeem(*, token: str, request: HttpRequest | None) -> User:
    """The person a link signs in. The link is spent by the first attempt, whatever its
    outcome. Raises a LoginLinkError subclass when refused."""
    user, error = _redeem(token=token, request=request)
    if error is not None:
        raise error
    assert user is not None
    return user


@transaction.atomic
def _redeem(
    *, token: str, request: HttpRequest | None
) -> tuple[User | None, LoginLinkError | None]:
    # Errors are returned, not raised, so that marking the link used and the security row
    # commit even when the link is refused.
    link, failure = single_use_spend(model=LoginLink, token=token)
    user = link.user if link is not None else None
    error: LoginLinkError | None
    if failure is not None:
        error = _FAILURES[failure]()
    elif user is not None and not user.is_active:
        error = LoginLinkInactive()
    else:
        error = None
    security_event_record(
        kind=SecurityEvent.Kind.LOGIN_LINK,
        request=request,
        user=user,
        data={
            "step": "redeemed" if error is None else "refused",
            **({"reason": error.reason} if error is not None else {}),
        },
        account=True,
    )
    return (user if error is None else None), error


def login_link_valid(*, token: str) -> bool:
    """Whether opening the link should offer the sign-in button (nothing is spent)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    return LoginLink.objects.filter(
        token_hash=token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()
