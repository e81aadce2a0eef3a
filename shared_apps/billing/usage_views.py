"""The usage page of a company host (/billing/usage/): every member may see it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from shared_apps.accounts.permissions import Action, can
from shared_apps.billing.usage import usage_for
from shared_apps.tenants.models import Company

BILLING_URL = "/billing/"


@require_GET
def usage_page(request: HttpRequest) -> HttpResponse:
    company: Company = request.tenant  # type: ignore[attr-defined]
    membership = getattr(request, "membership", None)
    return render(
        request,
        "billing/usage.html",
        {
            "usage": usage_for(company=company),
            "billing_url": BILLING_URL,
            "is_owner": can(membership, Action.BILLING_MANAGE),
        },
    )
