"""The public pricing page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shared_apps.billing.pricing import MONTHLY, PERIODS, plan_card
from shared_apps.billing.selectors import pricing_offer


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    """Public plans in order, monthly or yearly (`?period=yearly`: links, no script)."""
    period = request.GET.get("period", MONTHLY)
    if period not in PERIODS:
        period = MONTHLY
    offer = pricing_offer()
    # The trial needs an account first; someone signed in goes straight to "create company".
    start = "onboarding_welcome" if request.user.is_authenticated else "account_signup"
    return render(
        request,
        "billing/pricing.html",
        {
            "period": period,
            "cards": [plan_card(plan, period) for plan in offer.plans],
            "trial_days": offer.trial.trial_days if offer.trial is not None else None,
            "start_url": reverse(start),
        },
    )
