"""The billing page on a company host (owners only): plan, subscription, invoices, and the
Stripe actions of checkout.py. Views only translate HTTP to the services and back."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.accounts.models import User
from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from shared_apps.billing import checkout
from shared_apps.billing.checkout import BillingActionRefused, StripeUnavailable
from shared_apps.billing.company_page import billing_page_get, interval_label
from shared_apps.billing.pricing import money
from shared_apps.tenants.models import Company

View = Callable[..., HttpResponse]


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "billing/company/error.html",
        {"message": message, "status": status},
        status=status,
    )


def refusals_shown(view: View) -> View:
    """Refused requests are 4xx and Stripe outages 503, each with a message. (Who may:
    `action_required(Action.BILLING_MANAGE)`, a 403 for admins, members and viewers; the
    middleware already 404s strangers.)"""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except BillingActionRefused as exc:
            return _error(request, exc.message, exc.status)
        except StripeUnavailable as exc:
            return _error(request, exc.message, 503)

    return wrapper


def _company(request: HttpRequest) -> Company:
    company: Company = request.tenant  # type: ignore[attr-defined]
    return company


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _overview_url() -> str:
    return reverse("billing:overview")


@require_GET
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def overview(request: HttpRequest) -> HttpResponse:
    company = _company(request)
    page = billing_page_get(company=company)
    return render(
        request,
        "billing/company/overview.html",
        {
            "company": company,
            "page": page,
            "interval_label": interval_label(page.interval),
        },
    )


@require_POST
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def subscribe(request: HttpRequest) -> HttpResponse:
    url = checkout.billing_checkout_start(
        company=_company(request),
        plan_slug=request.POST.get("plan", ""),
        interval=request.POST.get("interval", ""),
        success_url=request.build_absolute_uri(reverse("billing:checkout_done")),
        cancel_url=request.build_absolute_uri(_overview_url()),
        actor=_user(request),
    )
    return HttpResponseSeeOther(url)


@require_GET
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def checkout_done(request: HttpRequest) -> HttpResponse:
    result = checkout.billing_checkout_finish(
        company=_company(request),
        session_id=request.GET.get("session_id", ""),
        actor=_user(request),
    )
    if result.complete:
        messages.success(request, _("Thank you: your subscription has started."))
    else:
        messages.info(
            request, _("Your payment is still being processed. This page will show it soon.")
        )
    return HttpResponseSeeOther(_overview_url())


@require_http_methods(["GET", "POST"])
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def change(request: HttpRequest) -> HttpResponse:
    """GET: the proration preview of a plan change; POST: the confirmation."""
    company = _company(request)
    data = request.POST if request.method == "POST" else request.GET
    plan_slug, interval = data.get("plan", ""), data.get("interval", "")
    if request.method == "POST":
        checkout.billing_plan_switch(
            company=company,
            plan_slug=plan_slug,
            interval=interval,
            token=data.get("token", ""),
            actor=_user(request),
        )
        messages.success(request, _("Your plan has been changed."))
        return HttpResponseSeeOther(_overview_url())
    preview = checkout.billing_plan_switch_preview(
        company=company, plan_slug=plan_slug, interval=interval
    )
    return render(
        request,
        "billing/company/change.html",
        {
            "preview": preview,
            "interval_label": interval_label(preview.interval),
            "due_now": money(preview.due_now, preview.currency),
            "credit": money(preview.credit, preview.currency) if preview.credit else "",
            "next_amount": money(preview.next_amount, preview.currency)
            if preview.next_amount is not None
            else "",
            "lines": [(text, money(cents, preview.currency)) for text, cents in preview.lines],
        },
    )


@require_POST
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def cancel(request: HttpRequest) -> HttpResponse:
    checkout.billing_cancel(company=_company(request), actor=_user(request))
    messages.success(
        request, _("Your subscription will end at the end of the period. You can resume it.")
    )
    return HttpResponseSeeOther(_overview_url())


@require_POST
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def resume(request: HttpRequest) -> HttpResponse:
    checkout.billing_resume(company=_company(request), actor=_user(request))
    messages.success(request, _("Your subscription continues."))
    return HttpResponseSeeOther(_overview_url())


@require_POST
@action_required(Action.BILLING_MANAGE)
@refusals_shown
def portal(request: HttpRequest) -> HttpResponse:
    url = checkout.billing_portal_open(
        company=_company(request),
        return_url=request.build_absolute_uri(_overview_url()),
        actor=_user(request),
    )
    return HttpResponseSeeOther(url)
