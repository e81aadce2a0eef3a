"""django-allauth adapters: the project's rules for accounts, SSO, MFA and sessions."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit as rl
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import formats, timezone, translation
from django.utils.html import format_html, strip_tags
from django.utils.translation import gettext, ngettext

from shared_apps.accounts import crypto, lockout
from shared_apps.accounts.public_links import links_on_public_origin, public_url
from shared_apps.audit.security import client_ip, security_event_record

LOGIN_FAILED = "login_failed"


def _is_public_host(request: HttpRequest | None) -> bool:
    return (
        request is not None
        and getattr(request, "tenant", None) is not None
        and (
            getattr(request.tenant, "is_public", False)  # type: ignore[attr-defined]
        )
    )


def login_failed_retry_at(request: HttpRequest, key: str) -> float | None:
    """When the failed-sign-in limits (per IP and per account) let `key` try again, as a
    Unix time; None if no limit is reached. Reads allauth's own rate-limit history."""
    retry_at: float | None = None
    now = time.time()
    for rate in rl.get_rates(app="allauth.account", action=LOGIN_FAILED):
        cache_key = rl.get_cache_key(
            request, app="allauth.account", action=LOGIN_FAILED, rate=rate, key=key
        )
        history = [ts for ts in cache.get(cache_key, []) if ts > now - rate.duration]
        if len(history) >= rate.amount:
            # Newest first: the block lifts when the amount-th newest hit leaves the window.
            lifts = sorted(history, reverse=True)[rate.amount - 1] + rate.duration
            retry_at = lifts if retry_at is None else max(retry_at, lifts)
    return retry_at


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        # On the public host people land on their companies (or create one); `?next=` wins.
        if _is_public_host(request):
            return "/welcome/"
        return str(super().get_login_redirect_url(request))

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        if _is_public_host(request):
            return "/welcome/"
        return str(super().get_signup_redirect_url(request))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Sign-up happens on the public host only; company hosts sign in existing people.
        return _is_public_host(request)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth prefixes the key with the current site's domain, which without
        # django.contrib.sites is the request host: the per-account limit would then hold
        # per company host. People are global, so is their lockout.
        login = credentials.get("email", credentials.get("username", "")) or ""
        return f"account:{login.strip().lower()}"

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth passes "<uidb36>-<key>" as one opaque key.
        uidb36, _, token = key.partition("-")
        return public_url("account_reset_password_from_key", uidb36=uidb36, key=token)

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return public_url("account_confirm_email", key=emailconfirmation.key)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Every allauth email (address confirmation, password reset, MFA and password
        notices) goes through the notifications task: rendered here with allauth's templates
        in the recipient's language, sent by a worker with retries, once.

        allauth's context holds objects (user, request, site); only the rendered subject and
        body (plain strings) travel to the broker."""
        from shared_apps.accounts.models import User
        from shared_apps.notifications.services import email_enqueue, recipient_language

        request = context.get("request") or allauth_context.request
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email=email.strip().lower()).first()
        ctx: dict[str, Any] = {"request": request, "email": email}
        ctx.update(context)
        # Links and the site name point at the public host, never at the host the request
        # came in on (shared_apps/accounts/public_links.py).
        ctx = links_on_public_origin(ctx)
        with translation.override(recipient_language(user=user, email=email)):
            message = self.render_mail(template_prefix, email, ctx)
        body = message.body if message.content_subtype != "html" else strip_tags(message.body)
        email_enqueue(
            template="account_message",
            to_user=user,
            to_email=email,
            context={"subject": str(message.subject), "body": str(body)},
            # One key per message allauth asks for: a retried or redelivered task sends it
            # once, while two identical requests still get two emails.
            idempotency_key=f"allauth:{template_prefix}:{uuid.uuid4().hex}",
        )

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Before the password is checked: allauth's per-IP limit, then the per (account,
        IP) and per-account counters of lockout.py. A refusal is a "locked_out" event."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            key = self._get_login_attempts_cache_key(request, **credentials)
            retry_at = login_failed_retry_at(request, key) or time.time() + 60
            self._refuse(request, credentials, retry_at=retry_at, scope="ip")
        login = str(credentials.get("email", credentials.get("username", "")) or "")
        result = lockout.attempt_begin(login=login, ip=client_ip(request) or "-")
        if isinstance(result, lockout.Refusal):
            self._refuse(request, credentials, retry_at=result.retry_at, scope=result.scope)
        self._login_attempt = result

    def _refuse(
        self, request: HttpRequest, credentials: dict[str, Any], *, retry_at: float, scope: str
    ) -> None:
        from shared_apps.accounts.models import User

        email = (credentials.get("email", "") or "").strip().lower()[:254]
        security_event_record(
            kind="locked_out",
            request=request,
            user=User.objects.filter(email=email).first() if email else None,
            email=email,
            data={
                "retry_at": datetime.fromtimestamp(retry_at, tz=UTC).isoformat(),
                "scope": scope,
            },
        )
        raise ValidationError(
            format_html(
                '{} <a href="{}">{}</a>',
                lockout_message(retry_at),
                public_url("account_login_link"),
                gettext("Email me a sign-in link"),
            ),
            code="too_many_login_attempts",
        ) from None

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        attempt = getattr(self, "_login_attempt", None)
        if user is not None and isinstance(attempt, lockout.Attempt):
            lockout.attempt_succeeded(attempt)  # the right password does not count
        return user

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth calls this after a successful password reset.
        super()._delete_login_attempts_cached_email(request, **credentials)
        login = str(credentials.get("email", credentials.get("username", "")) or "")
        lockout.lockout_clear(login=login)


def lockout_message(retry_at: float) -> str:
    """ "Try again in N minutes, at HH:MM" in the user's language and time zone."""
    minutes = max(1, math.ceil((retry_at - time.time()) / 60))
    at = timezone.localtime(datetime.fromtimestamp(retry_at, tz=UTC))
    return ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute, at %(time)s.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, at %(time)s.",
        minutes,
    ) % {"minutes": minutes, "time": formats.time_format(at, "TIME_FORMAT")}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: object) -> bool:
        return _is_public_host(request)

    def get_app(self, request: HttpRequest, provider: str, client_id: str | None = None) -> Any:
        # Every provider's routes exist; one that is not configured is "not found", not a
        # server error (allauth raises SocialApp.DoesNotExist).
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404 from exc


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def get_public_key_credential_rp_entity(self) -> dict[str, str]:
        # One relying party for every host, so a passkey works on all company hosts.
        return {"id": settings.BASE_DOMAIN, "name": settings.MFA_TOTP_ISSUER}


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Iterable[Any]) -> None:
        # UserSession.end() deletes the session row itself, so those sessions are gone
        # server-side, whatever cookie their browser still holds.
        sessions = list(sessions)
        super().end_sessions(sessions)
        request = allauth_context.request
        user = getattr(request, "user", None)
        security_event_record(
            kind="sessions_ended",
            request=request,
            user=user if user is not None and user.is_authenticated else None,
            data={"count": len(sessions)},
            account=True,
        )
