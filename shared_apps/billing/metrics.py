"""Platform-owner numbers: each company's monthly recurring revenue (MRR) and the overview.

MRR comes from the company's plan: its monthly price, or its yearly price / 12 when the
company's current Stripe subscription bills yearly. A company without a paying
subscription (trial, complimentary plan, canceled) brings 0. Everything is computed in the
database, so a page of companies or the overview costs the same few queries whatever the
number of companies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from djstripe import models as dj

from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.stripe_read import LIVE_STATUSES
from shared_apps.tenants.models import Company

State = Company.BillingState
# Subscriptions that count as revenue (Stripe's own MRR counts past-due ones too).
PAYING_STATUSES = ("active", "past_due")
CHURN_WINDOW = timedelta(days=30)


def _current_subscription() -> QuerySet[dj.Subscription]:
    """The company's current subscription, as stripe_read.company_subscription picks it:
    the newest live one, else the newest of any (correlated to the outer company)."""
    return (
        dj.Subscription.objects.filter(customer__subscriber=OuterRef("pk"))
        .alias(
            not_live=Case(
                When(stripe_data__status__in=LIVE_STATUSES, then=Value(0)), default=Value(1)
            )
        )
        .order_by("not_live", "-created")
    )


def companies_with_mrr(companies: QuerySet[Company]) -> QuerySet[Company]:
    """`companies` annotated with `subscription_status`, `subscription_interval` (month,
    year or None) and `mrr_cents` (float, in the plan's currency)."""
    current = _current_subscription()
    yearly_price = Cast(F("plan__price_yearly_cents"), FloatField()) / Value(12.0)
    return companies.annotate(
        subscription_status=Subquery(current.values(value=KT("stripe_data__status"))[:1]),
        subscription_interval=Subquery(
            current.values(value=KT("stripe_data__items__data__0__price__recurring__interval"))[:1]
        ),
    ).annotate(
        mrr_cents=Case(
            When(~Q(subscription_status__in=PAYING_STATUSES), then=Value(0.0)),
            When(subscription_status__isnull=True, then=Value(0.0)),
            When(
                subscription_interval="year",
                plan__price_yearly_cents__isnull=False,
                then=yearly_price,
            ),
            default=Cast(F("plan__price_monthly_cents"), FloatField()),
            output_field=FloatField(),
        )
    )


@dataclass(frozen=True)
class Overview:
    mrr: dict[str, float]  # currency -> cents per month
    paying: int  # companies with a paying subscription
    by_state: dict[str, int] = field(default_factory=dict)  # every state, 0 included
    churned: int = 0  # companies canceled within CHURN_WINDOW
    total: int = 0


def billing_overview(*, now: datetime) -> Overview:
    """The platform's numbers in three queries."""
    revenue = (
        companies_with_mrr(Company.objects.all())
        .values("plan__currency")
        .annotate(mrr=Sum("mrr_cents"), paying=Count("pk", filter=Q(mrr_cents__gt=0)))
        .order_by("plan__currency")
    )
    mrr: dict[str, float] = {}
    paying = 0
    for row in revenue:
        if row["mrr"]:
            currency = row["plan__currency"] or "EUR"
            mrr[currency] = mrr.get(currency, 0.0) + float(row["mrr"])
        paying += int(row["paying"])
    by_state = dict.fromkeys(State.values, 0)
    for row in Company.objects.values("billing_state").annotate(n=Count("pk")).order_by():
        by_state[row["billing_state"]] = int(row["n"])
    churned = (
        BillingStateChange.objects.filter(to_state=State.CANCELED, at__gte=now - CHURN_WINDOW)
        .values("company")
        .distinct()
        .count()
    )
    return Overview(
        mrr=mrr,
        paying=paying,
        by_state=by_state,
        churned=churned,
        total=sum(by_state.values()),
    )
