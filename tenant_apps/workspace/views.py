"""The company home page: the dashboard, its first-steps checklist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts.url_access import COMPANY_PAGE, url_access
from tenant_apps.crm.dashboard import dashboard_get
from tenant_apps.workspace.chart import won_lost_chart
from tenant_apps.workspace.checklist import checklist_dismiss, first_steps

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@url_access(COMPANY_PAGE)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # CompanyMembersOnlyMiddleware has already refused non-members.
    user: User = request.user  # type: ignore[assignment]
    data = dashboard_get(actor=user, pipeline_id=request.GET.get("pipeline"))
    return render(
        request,
        "workspace/home.html",
        {
            "company": request.tenant,  # type: ignore[attr-defined]
            "dashboard": data,
            "numbers": data.numbers,
            "chart": won_lost_chart(data.numbers.months),
            "recent": data.recent,
            "checklist": first_steps(
                actor=user,
                company=request.tenant,  # type: ignore[attr-defined]
                role=request.membership.role,  # type: ignore[attr-defined]
            ),
        },
    )


@url_access(COMPANY_PAGE)
@require_POST
def checklist_hide(request: HttpRequest) -> HttpResponse:
    """Hide the first-steps checklist for the signed-in person (a plain form post)."""
    user: User = request.user  # type: ignore[assignment]
    checklist_dismiss(actor=user)
    return HttpResponseRedirect(reverse("home"))
