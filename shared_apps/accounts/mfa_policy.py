"""A company that requires two-factor authentication sends members without it to set it up.

Runs after CompanyMembersOnlyMiddleware, so only signed-in members of the company reach the
check. Until they add an authenticator app or a security key, every page except the MFA
setup pages (and what those need: re-authentication, sign-out, the language switch, static
files) redirects to allauth's MFA page.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

MFA_SETUP_URL = "/accounts/2fa/"

ALLOWED_PREFIXES = (
    MFA_SETUP_URL,
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/login/",
    "/i18n/",
    "/static/",
)


def has_mfa(user: object) -> bool:
    return Authenticator.objects.filter(
        user_id=getattr(user, "pk", None),
        type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
    ).exists()


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if (
            tenant is not None
            and not getattr(tenant, "is_public", False)
            and getattr(tenant, "require_mfa", False)
            and request.user.is_authenticated
            and not request.path_info.startswith(ALLOWED_PREFIXES)
            and not has_mfa(request.user)
        ):
            return HttpResponseRedirect(MFA_SETUP_URL)
        return self.get_response(request)
