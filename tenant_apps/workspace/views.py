from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shared_apps.accounts.access import member_required


@member_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "workspace/home.html", {"company": request.tenant})  # type: ignore[attr-defined]
