"""Reads for the company's billing page: where the company stands, its subscription, its
invoices and the plans it may choose, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from djstripe import models as dj

from shared_apps.billing.models import Plan
from shared_apps.billing.pricing import MONTHLY, YEARLY, PlanCard, money, plan_card
from shared_apps.billing.stripe_calls import MANAGEABLE_STATUSES, subscription_item
from shared_apps.billing.stripe_read import (
    company_customer,
    company_subscription,
    subscription_period_end,
)
from shared_apps.tenants.models import Company

SOFIA = ZoneInfo("Europe/Sofia")
INVOICES_SHOWN = 24  # older ones are in the Customer Portal

State = Company.BillingState


def invoice_status_label(status: str) -> str:
    labels = {
        "draft": pgettext("invoice status", "Draft"),
        "open": pgettext("invoice status", "Due"),
        "paid": pgettext("invoice status", "Paid"),
        "void": pgettext("invoice status", "Void"),
        "uncollectible": pgettext("invoice status", "Uncollectible"),
    }
    return labels.get(status, status)


def trial_days_left(trial_ends_at: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days until the trial ends, by the calendar in Sofia (0 on its last day)."""
    if trial_ends_at is None:
        return None
    now = now or timezone.now()
    return max(0, (trial_ends_at.astimezone(SOFIA).date() - now.astimezone(SOFIA).date()).days)


@dataclass(frozen=True)
class InvoiceRow:
    number: str
    created: datetime
    amount: str
    status: str
    status_label: str
    hosted_url: str
    pdf_url: str


@dataclass(frozen=True)
class Choice:
    """A plan on offer with what the owner can do about each interval."""

    card: PlanCard
    monthly: str  # price text, "" when not sold monthly
    yearly: str
    monthly_current: bool
    yearly_current: bool


@dataclass(frozen=True)
class BillingPage:
    plan: Plan | None
    interval: str  # "monthly", "yearly" or "" (no subscription)
    state: str
    state_label: str
    trial_days_left: int | None
    trial_ends_on: date | None
    subscription_status: str  # Stripe's, "" without a subscription
    manageable: bool  # there is a subscription to change, cancel or resume
    period_end: datetime | None
    cancel_at_period_end: bool
    ends_on: datetime | None
    has_customer: bool
    invoices: list[InvoiceRow]
    choices: list[Choice]


def _invoice_rows(company: Company) -> list[InvoiceRow]:
    invoices = dj.Invoice.objects.filter(customer__subscriber=company).order_by("-created", "-pk")[
        :INVOICES_SHOWN
    ]
    rows = []
    for invoice in invoices:
        data: dict[str, Any] = invoice.stripe_data or {}
        status = str(data.get("status") or "")
        cents = int(data.get("total") or data.get("amount_due") or 0)
        rows.append(
            InvoiceRow(
                number=str(data.get("number") or invoice.id),
                created=invoice.created or timezone.now(),
                amount=money(cents, str(data.get("currency") or "eur").upper()),
                status=status,
                status_label=invoice_status_label(status),
                hosted_url=str(data.get("hosted_invoice_url") or ""),
                pdf_url=str(data.get("invoice_pdf") or ""),
            )
        )
    return rows


def _subscription_plan(plans: list[Plan], price_id: str) -> tuple[Plan | None, str]:
    for plan in plans:
        if price_id and price_id == plan.stripe_price_monthly:
            return plan, MONTHLY
        if price_id and price_id == plan.stripe_price_yearly:
            return plan, YEARLY
    return None, ""


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def billing_page_get(*, company: Company) -> BillingPage:
    """Everything the billing page shows (4 or 5 queries whatever the number of invoices
    and plans: plans, customer, subscription (one more when none is live), invoices)."""
    plans = list(Plan.objects.order_by("sort_order", "pk"))
    customer = company_customer(company=company)
    subscription = company_subscription(company=company) if customer is not None else None
    data: dict[str, Any] = (subscription.stripe_data or {}) if subscription else {}
    status = str(data.get("status") or "")
    manageable = status in MANAGEABLE_STATUSES
    plan, interval = None, ""
    if subscription is not None and manageable:
        price = subscription_item(subscription).get("price")
        price_id = str(price.get("id") if isinstance(price, dict) else price or "")
        plan, interval = _subscription_plan(plans, price_id)
    if plan is None:
        # Before the first subscription (trial) or for a plan granted by the platform admin.
        plan = next((p for p in plans if p.pk == company.plan_id), None)
    period_end = subscription_period_end(subscription) if subscription and manageable else None
    cancel = manageable and bool(data.get("cancel_at_period_end"))
    trialing = company.billing_state == State.TRIALING
    choices = []
    for offered in plans:
        if offered.is_trial or not offered.is_public:
            continue
        yearly = offered.price_yearly_cents
        choices.append(
            Choice(
                card=plan_card(offered, MONTHLY),
                monthly=money(offered.price_monthly_cents, offered.currency)
                if offered.stripe_price_monthly
                else "",
                yearly=money(yearly, offered.currency)
                if offered.stripe_price_yearly and yearly is not None
                else "",
                monthly_current=manageable and plan == offered and interval == MONTHLY,
                yearly_current=manageable and plan == offered and interval == YEARLY,
            )
        )
    return BillingPage(
        plan=plan,
        interval=interval,
        state=company.billing_state,
        state_label=str(company.get_billing_state_display()),
        trial_days_left=trial_days_left(company.trial_ends_at) if trialing else None,
        trial_ends_on=company.trial_ends_at.astimezone(SOFIA).date()
        if trialing and company.trial_ends_at
        else None,
        subscription_status=status,
        manageable=manageable,
        period_end=period_end,
        cancel_at_period_end=cancel,
        ends_on=(_timestamp(data.get("cancel_at")) or period_end) if cancel else None,
        has_customer=customer is not None,
        invoices=_invoice_rows(company) if customer is not None else [],
        choices=choices,
    )


def interval_label(interval: str) -> str:
    return {MONTHLY: _("monthly"), YEARLY: _("yearly")}.get(interval, "")
