"""Platform admin pieces of the company billing admin: the overview page and the
"grant a complimentary plan" action (with its confirmation form). They translate the
request into metrics.billing_overview and grants.billing_complimentary_grant."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shared_apps.accounts.models import User
from shared_apps.billing.grants import billing_complimentary_grant
from shared_apps.billing.metrics import CHURN_WINDOW, billing_overview
from shared_apps.billing.models import REASON_MAX_LENGTH, CompanyBilling, Plan
from shared_apps.billing.pricing import money
from shared_apps.tenants.models import Company

State = Company.BillingState


def cents(value: float | None) -> int:
    return round(value or 0)


def overview_view(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """MRR, companies per billing state, and churn over the last 30 days."""
    numbers = billing_overview(now=timezone.now())
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Billing overview"),
        "mrr": [money(cents(total), currency) for currency, total in numbers.mrr.items()],
        "paying": numbers.paying,
        "states": [(label, numbers.by_state[value], value) for value, label in State.choices],
        "churned": numbers.churned,
        "churn_days": CHURN_WINDOW.days,
        "total": numbers.total,
    }
    return TemplateResponse(request, "admin/billing/overview.html", context)


class ComplimentaryForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("plan"),
        queryset=Plan.objects.filter(is_trial=False),
        help_text=_("Given free of charge: no Stripe subscription is created."),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=REASON_MAX_LENGTH,
        help_text=_("Kept in the history and the audit log."),
    )


@admin.action(description=_("Grant a complimentary plan"), permissions=["change"])
def grant_complimentary(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[CompanyBilling]
) -> HttpResponse | None:
    """First a form (plan and reason) for the selected companies; on "apply", one audited
    grant per company. A company refused (e.g. a live Stripe subscription) is named with the
    reason; the others are granted."""
    form = ComplimentaryForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        assert isinstance(request.user, User)
        granted = 0
        for company in queryset:
            try:
                billing_complimentary_grant(
                    company=company,
                    plan=form.cleaned_data["plan"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as exc:
                model_admin.message_user(
                    request, f"{company.name}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                granted += 1
        if granted:
            model_admin.message_user(
                request,
                ngettext(
                    "Complimentary plan granted to %(count)d company.",
                    "Complimentary plan granted to %(count)d companies.",
                    granted,
                )
                % {"count": granted},
                messages.SUCCESS,
            )
        return None
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Grant a complimentary plan"),
        "companies": list(queryset.select_related(None).only("pk", "name", "subdomain")),
        "form": form,
        "action_name": "grant_complimentary",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/billing/complimentary.html", context)
