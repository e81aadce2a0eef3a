"""Which gates of a company host a URL passes, declared once per view and read by the three
middlewares that used to keep their own lists of open URL prefixes:

- `CompanyMembersOnlyMiddleware` (isolation.py): `members_only=False` lets anonymous visitors
  and strangers through (sign-in, password reset, the login handoff, the language switch);
- `RequireMFAMiddleware` (mfa_policy.py): `mfa_first=False` stays open to a member who must
  still set up two-factor authentication (the MFA pages, sign-in, sign-out);
- `BillingEnforcementMiddleware` (billing/enforcement.py): `billing` says what a company's
  billing state allows (see `Billing`).

A view of ours carries its declaration (`@url_access(...)`); a view of another package
(allauth, Django's i18n) or a namespace of ours is declared here by URL name. A URL that does
not resolve is a company page (members only, MFA first, billing as the state allows).
`tests/shared_apps/accounts/test_url_access_declared.py` checks that every URL of both
URLconfs has a declaration. The public host's URLs are declared by their host: none of the
three middlewares acts there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, ResolverMatch, resolve

F = TypeVar("F", bound=Callable[..., Any])


class Billing(StrEnum):
    FOLLOWS = "follows"  # as the billing state allows (read-only: reads only; suspended: none)
    ALWAYS = "always"  # every state: sign-in, account and language pages
    BILLING = "billing"  # every state but canceled: the billing pages
    EXPORT = "export"  # exports: reads (GET, HEAD, OPTIONS) open in every state


@dataclass(frozen=True)
class Access:
    members_only: bool = True
    mfa_first: bool = True
    billing: Billing = Billing.FOLLOWS


COMPANY_PAGE = Access()
ACCOUNT_PAGE = Access(billing=Billing.ALWAYS)  # signed-in members, any billing state
MFA_SETUP = Access(mfa_first=False, billing=Billing.ALWAYS)
OPEN = Access(members_only=False, billing=Billing.ALWAYS)  # strangers too
SIGN_IN = Access(members_only=False, mfa_first=False, billing=Billing.ALWAYS)
EXPORT = Access(billing=Billing.EXPORT)  # members' reads that stay open in every state


def url_access(access: Access) -> Callable[[F], F]:
    """Declare `access` on a view (kept through `functools.wraps` decorators)."""

    def decorate(view: F) -> F:
        view.url_access = access  # type: ignore[attr-defined]
        return view

    return decorate


# Views of other packages and views serving several URLs, by URL name.
BY_NAME: dict[str, Access] = {
    # allauth (account)
    "account_login": SIGN_IN,
    "account_logout": SIGN_IN,
    "account_confirm_login_code": SIGN_IN,
    "account_signup": OPEN,
    "account_inactive": ACCOUNT_PAGE,
    "account_reauthenticate": MFA_SETUP,
    "account_request_reauthentication_code": MFA_SETUP,
    "account_confirm_reauthentication_code": MFA_SETUP,
    "account_email": ACCOUNT_PAGE,
    "account_email_verification_sent": OPEN,
    "account_confirm_email": OPEN,
    "account_change_password": ACCOUNT_PAGE,
    "account_set_password": ACCOUNT_PAGE,
    "account_reset_password": OPEN,
    "account_reset_password_done": OPEN,
    "account_reset_password_from_key": OPEN,
    "account_reset_password_from_key_done": OPEN,
    # allauth (mfa): all open to a member still to set it up; signing in with it to everyone
    "mfa_index": MFA_SETUP,
    "mfa_authenticate": SIGN_IN,
    "mfa_login_webauthn": SIGN_IN,
    "mfa_reauthenticate": MFA_SETUP,
    "mfa_activate_totp": MFA_SETUP,
    "mfa_deactivate_totp": MFA_SETUP,
    "mfa_view_recovery_codes": MFA_SETUP,
    "mfa_generate_recovery_codes": MFA_SETUP,
    "mfa_download_recovery_codes": MFA_SETUP,
    "mfa_list_webauthn": MFA_SETUP,
    "mfa_add_webauthn": MFA_SETUP,
    "mfa_reauthenticate_webauthn": MFA_SETUP,
    "mfa_remove_webauthn": MFA_SETUP,
    "mfa_edit_webauthn": MFA_SETUP,
    # allauth (user sessions)
    "usersessions_list": ACCOUNT_PAGE,
    # account-level links sent on to the public host (one view, public_links.to_public_host)
    "company_reset_to_public": OPEN,
    "company_confirm_email_to_public": OPEN,
    "company_login_link_to_public": SIGN_IN,
    "company_login_link_open_to_public": SIGN_IN,
    # Django's i18n
    "set_language": SIGN_IN,
}

# Namespaces of ours whose every view has the same access (a view's own declaration wins).
BY_NAMESPACE: dict[str, Access] = {
    "crm": COMPANY_PAGE,
    "billing": Access(billing=Billing.BILLING),
    "usage": Access(billing=Billing.BILLING),
}


def declared(match: ResolverMatch) -> Access | None:
    """The declaration of a resolved URL, or None when it has none."""
    own = getattr(match.func, "url_access", None)
    if isinstance(own, Access):
        return own
    if match.view_name in BY_NAME:
        return BY_NAME[match.view_name]
    for namespace in match.namespaces[:1]:
        if namespace in BY_NAMESPACE:
            return BY_NAMESPACE[namespace]
    return None


def access_for(request: HttpRequest) -> Access:
    """The declaration of the requested URL, resolved once per request. Static files (served
    before these middlewares when they exist) pass every gate."""
    cached = getattr(request, "_url_access", None)
    if cached is not None:
        return cached
    path = request.path_info
    if settings.STATIC_URL and path.startswith(str(settings.STATIC_URL)):
        found: Access | None = SIGN_IN
    else:
        try:
            match = resolve(path, urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            found = None
        else:
            found = declared(match)
    access = found or COMPANY_PAGE
    request._url_access = access  # type: ignore[attr-defined]
    return access
