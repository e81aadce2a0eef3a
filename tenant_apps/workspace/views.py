from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    # CompanyMembersOnlyMiddleware has already refused non-members.
    return render(request, "workspace/home.html", {"company": request.tenant})  # type: ignore[attr-defined]
