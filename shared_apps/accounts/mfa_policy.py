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

from shared_apps.accounts.url_access import access_for

MFA_SETUP_URL = "/accounts/2fa/"


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
            and access_for(request).mfa_first  # the MFA pages and sign-in are declared open
            and not has_mfa(request.user)
        ):
            return HttpResponseRedirect(MFA_SETUP_URL)
        return self.get_response(request)
