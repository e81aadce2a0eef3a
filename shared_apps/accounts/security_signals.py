"""Security events from allauth's and Django's signals (connected in AccountsConfig.ready).

Sign-in, failed sign-in, sign-out, password change/reset and MFA changes each leave a
SecurityEvent row (shared_apps/audit/security.py). Lockouts are recorded by the account
adapter (allauth sends no signal for them), ended sessions by the user-sessions adapter.
Password and two-factor changes are account-level: they belong to the person, not to the
company whose host they happened on.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.http import HttpRequest

from shared_apps.audit.security import security_event_record


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    security_event_record(kind="login", request=request, user=_user(user))


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password; only the login name is kept.
    email = str(credentials.get("email") or credentials.get("username") or "").strip().lower()
    from shared_apps.accounts.models import User

    user = User.objects.filter(email=email).first() if email else None
    security_event_record(kind="login_failed", request=request, user=user, email=email[:254])


def on_logged_out(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    if _user(user) is not None:
        security_event_record(kind="logout", request=request, user=user)


def on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    security_event_record(kind="password_changed", request=request, user=_user(user), account=True)


def on_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    security_event_record(kind="password_reset", request=request, user=user, account=True)


def _mfa(action: str) -> Any:
    def receiver(
        sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
    ) -> None:
        security_event_record(
            kind="mfa_changed",
            request=request,
            user=_user(user),
            data={"action": action, "type": authenticator.type},
            account=True,
        )

    return receiver


on_mfa_added = _mfa("added")
on_mfa_removed = _mfa("removed")
on_mfa_reset = _mfa("reset")


def connect() -> None:
    uid = "shared_apps.accounts.security_signals"
    account_signals.user_logged_in.connect(on_logged_in, dispatch_uid=f"{uid}.login")
    auth_signals.user_login_failed.connect(on_login_failed, dispatch_uid=f"{uid}.failed")
    auth_signals.user_logged_out.connect(on_logged_out, dispatch_uid=f"{uid}.logout")
    account_signals.password_changed.connect(on_password_changed, dispatch_uid=f"{uid}.pwc")
    account_signals.password_set.connect(on_password_changed, dispatch_uid=f"{uid}.pws")
    account_signals.password_reset.connect(on_password_reset, dispatch_uid=f"{uid}.pwr")
    mfa_signals.authenticator_added.connect(on_mfa_added, dispatch_uid=f"{uid}.mfa_add")
    mfa_signals.authenticator_removed.connect(on_mfa_removed, dispatch_uid=f"{uid}.mfa_rm")
    mfa_signals.authenticator_reset.connect(on_mfa_reset, dispatch_uid=f"{uid}.mfa_reset")
