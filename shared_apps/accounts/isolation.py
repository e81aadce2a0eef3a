"""Company hosts serve members only.

On a company host an anonymous visitor is sent to that host's sign-in page (except for the
pages a stranger legitimately needs: sign-in, password reset, the login handoff, the
language switch); a signed-in person who is not a member of this company gets 404 on every
URL, exactly as for a company that does not exist. `request.membership` is set for members.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from shared_apps.accounts.selectors import membership_get
from shared_apps.accounts.url_access import access_for


class CompanyMembersOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or getattr(tenant, "is_public", False):
            return self.get_response(request)
        # Pages that do not need a membership are declared on their views (url_access.py).
        if not access_for(request).members_only:
            return self.get_response(request)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        membership = membership_get(user=request.user, company_id=tenant.pk)
        if membership is None:
            raise Http404
        request.membership = membership  # type: ignore[attr-defined]
        return self.get_response(request)
