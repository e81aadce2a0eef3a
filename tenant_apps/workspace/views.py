"""The company home page: the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenant_apps.crm.dashboard import dashboard_get
from tenant_apps.workspace.chart import won_lost_chart

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


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
        },
    )
