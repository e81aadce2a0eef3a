"""The company owner's security settings (company host): require two-factor authentication."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from shared_apps.accounts.services import company_require_mfa_set
from shared_apps.accounts.url_access import COMPANY_PAGE, url_access
from shared_apps.audit.selectors import security_events_for_company


class RequireMFAForm(forms.Form):
    require_mfa = forms.BooleanField(
        label=gettext_lazy("Require two-factor authentication for every member"),
        required=False,
    )


@url_access(COMPANY_PAGE)
@require_http_methods(["GET", "POST"])
@action_required(Action.SECURITY_SETTINGS)
def security_settings(request: HttpRequest) -> HttpResponse:
    company = request.tenant  # type: ignore[attr-defined]
    membership = request.membership  # type: ignore[attr-defined]
    data = request.POST if request.method == "POST" else None
    form = RequireMFAForm(data, initial={"require_mfa": company.require_mfa})
    if request.method == "POST" and form.is_valid():
        company_require_mfa_set(
            company=company, required=form.cleaned_data["require_mfa"], actor=membership.user
        )
        messages.success(request, _("Security settings saved."))
        return HttpResponseRedirect(request.path)
    return render(request, "security/settings.html", {"form": form, "company": company})


EVENTS_PER_PAGE = 50


@url_access(COMPANY_PAGE)
@require_http_methods(["GET"])
@action_required(Action.SECURITY_EVENTS)
def security_events(request: HttpRequest) -> HttpResponse:
    """The company's security log for its owners: sign-ins, lockouts, MFA and role changes."""
    company = request.tenant  # type: ignore[attr-defined]
    paginator = Paginator(security_events_for_company(company_id=company.pk), EVENTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "security/events.html", {"page": page, "company": company})
