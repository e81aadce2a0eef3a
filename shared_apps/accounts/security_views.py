"""The person's own security page (under /accounts/ on every host): what happened to their
account on every host, and "sign out everywhere"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts.services import user_sessions_end_all
from shared_apps.accounts.url_access import ACCOUNT_PAGE, url_access
from shared_apps.audit.selectors import security_events_for_user
from shared_apps.tenants.models import Company

EVENTS_PER_PAGE = 50


@url_access(ACCOUNT_PAGE)
@require_GET
@login_required
def account_security(request: HttpRequest) -> HttpResponse:
    events = security_events_for_user(user_id=request.user.pk)  # type: ignore[arg-type]
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    # The company each event happened in, by name (one query for the page).
    names = dict(
        Company.objects.filter(pk__in={e.company_id for e in page if e.company_id}).values_list(
            "pk", "name"
        )
    )
    for event in page:
        event.company_name = names.get(event.company_id, "")  # type: ignore[attr-defined]
    return render(request, "accounts/security.html", {"page": page})


@url_access(ACCOUNT_PAGE)
@require_POST
@login_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = request.user
    user_sessions_end_all(user=user, request=request)  # type: ignore[arg-type]
    # This session was among them; logout() also clears the cookie and the request's user.
    logout(request)
    messages.success(request, _("You have been signed out everywhere."))
    return HttpResponseRedirect(settings.LOGIN_URL)
