"""What a company's billing state allows on its host.

| state                       | allowed                                                       |
|-----------------------------|---------------------------------------------------------------|
| trialing, active, past_due  | everything (past_due shows a banner: context.py)              |
| read_only                   | reads (GET, HEAD, OPTIONS) everywhere; writes only on billing, |
|                             | account and language pages; exports                           |
| suspended                   | billing, account and language pages, and exports              |
| canceled                    | account and language pages, and exports (the final export      |
|                             | link emailed before the data is deleted); else the canceled   |
|                             | page                                                          |

Refusals: under /api/ a 402 JSON body `{"code": "billing_read_only" | "billing_suspended" |
"billing_canceled", "detail": ...}`; on screens a 402 page (read-only writes, canceled) or a
redirect to /billing/ (suspended). Sign-in pages and the login handoff are always open.

What each URL is (sign-in and account page, billing page, export, or a company page) is
declared on its view (shared_apps/accounts/url_access.py, `Billing`): exports are reads even
when a company may not write. The check reads only `request.tenant`, the company row routing
already loaded (with its billing state), and the URL's declaration, so it costs no query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action, can
from shared_apps.accounts.url_access import Billing, access_for
from shared_apps.billing import state
from shared_apps.tenants.models import Company

State = Company.BillingState

BILLING_URL = "/billing/"
API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAYMENT_REQUIRED = 402

_RESTRICTED = frozenset({State.READ_ONLY, State.SUSPENDED, State.CANCELED})


def _is_export(request: HttpRequest) -> bool:
    return request.method in SAFE_METHODS and access_for(request).billing == Billing.EXPORT


def allowed(request: HttpRequest, company: Company) -> bool:
    """May this request go through, given the company's billing state?"""
    current = company.billing_state
    if current not in _RESTRICTED:
        return True
    declared = access_for(request).billing
    if declared == Billing.ALWAYS:
        return True
    if current == State.CANCELED:
        return _is_export(request)
    if declared == Billing.BILLING:
        return True
    if current == State.READ_ONLY and request.method in SAFE_METHODS:
        return True
    return _is_export(request)


def _detail(current: str) -> str:
    if current == State.READ_ONLY:
        return _(
            "This company is read-only because a payment is overdue: data can be read and "
            "exported, not changed. Pay on the billing page to restore it."
        )
    if current == State.SUSPENDED:
        return _(
            "This company is suspended because a payment is overdue: only billing, exports "
            "and your account are available. Pay on the billing page to restore it."
        )
    return _("This company's subscription was canceled.")


def refusal(request: HttpRequest, company: Company) -> HttpResponse:
    current = company.billing_state
    code = {
        State.READ_ONLY: "billing_read_only",
        State.SUSPENDED: "billing_suspended",
        State.CANCELED: "billing_canceled",
    }[current]
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"code": code, "detail": _detail(current)}, status=PAYMENT_REQUIRED)
    if current == State.SUSPENDED:
        return HttpResponseRedirect(BILLING_URL)
    membership = getattr(request, "membership", None)
    context = {
        "company": company,
        "detail": _detail(current),
        "billing_url": BILLING_URL,
        "is_owner": can(membership, Action.BILLING_MANAGE),
        # The page says it all: no banner on top of it.
        "billing_banner": None,
    }
    if current == State.CANCELED:
        deleted_on = company.billing_state_changed_at + state.canceled_retention()
        context["deleted_on"] = deleted_on
        return render(request, "billing/canceled.html", context, status=PAYMENT_REQUIRED)
    return render(request, "billing/read_only.html", context, status=PAYMENT_REQUIRED)


class BillingEnforcementMiddleware:
    """After sign-in and membership checks: refuses what the billing state does not allow.
    The public host (no Company) is never touched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        company = getattr(request, "tenant", None)
        if isinstance(company, Company) and not allowed(request, company):
            return refusal(request, company)
        return self.get_response(request)
