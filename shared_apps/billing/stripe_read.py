"""Reads of the Stripe objects dj-stripe synced into public: a company's customer, its
current subscription and that subscription's period.

dj-stripe 2.11's `Subscription.current_period_end` and `is_valid()` read top-level fields
that current Stripe API versions no longer send: the period lives on the subscription items
(`items.data[].current_period_start/end`), so it is read from there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from djstripe import models as dj

from shared_apps.tenants.models import Company

# Subscriptions that still bill or may bill again (not canceled or expired).
LIVE_STATUSES = ("trialing", "active", "past_due", "unpaid", "incomplete", "paused")


def company_customer(*, company: Company) -> dj.Customer | None:
    """The company's Stripe customer (dj-stripe's subscriber link), if it has one."""
    return (
        dj.Customer.objects.filter(subscriber=company, date_purged=None)
        .order_by("-created")
        .first()
    )


def company_subscription(*, company: Company) -> dj.Subscription | None:
    """The company's current subscription: the newest live one, else the newest of any."""
    subscriptions = dj.Subscription.objects.filter(customer__subscriber=company).order_by(
        "-created"
    )
    live = subscriptions.filter(stripe_data__status__in=LIVE_STATUSES).first()
    return live or subscriptions.first()


def _item_times(subscription: dj.Subscription, field: str) -> list[int]:
    items = (subscription.stripe_data or {}).get("items") or {}
    return [int(item[field]) for item in items.get("data", []) if item.get(field)]


def subscription_period_end(subscription: dj.Subscription) -> datetime | None:
    """When the current period ends: the latest end among the subscription's items."""
    ends = _item_times(subscription, "current_period_end")
    return datetime.fromtimestamp(max(ends), tz=UTC) if ends else None


def subscription_period_start(subscription: dj.Subscription) -> datetime | None:
    """When the current period began: the earliest start among the subscription's items."""
    starts = _item_times(subscription, "current_period_start")
    return datetime.fromtimestamp(min(starts), tz=UTC) if starts else None
