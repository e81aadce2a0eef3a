"""Shared by the billing page's Stripe actions (checkout.py): the errors they raise, the
checks of a request (plan, interval, subscription) and the sync after a change."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import stripe
from django.db import transaction
from django.utils.translation import gettext as _
from djstripe import models as dj

from shared_apps.audit.services import platform_event_record
from shared_apps.billing.models import Plan
from shared_apps.billing.pricing import MONTHLY, PERIODS
from shared_apps.billing.stripe_read import company_subscription
from shared_apps.tenants.models import Company

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

logger = logging.getLogger(__name__)

# Subscriptions an owner can change or cancel (incomplete ones wait for their first payment).
MANAGEABLE_STATUSES = ("trialing", "active", "past_due", "unpaid", "paused")
# Subscriptions that rule out a second one through Checkout.
BLOCKING_STATUSES = (*MANAGEABLE_STATUSES, "incomplete")


class BillingActionRefused(Exception):
    """The request is refused and nothing was changed; `message` is translated."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class StripeUnavailable(Exception):
    """Stripe could not be reached or failed; nothing was written locally."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextmanager
def stripe_call(action: str) -> Iterator[None]:
    try:
        yield
    except stripe.CardError as exc:
        raise BillingActionRefused(
            "card_declined",
            _("Your card was declined. Update your payment method in the billing portal."),
            status=402,
        ) from exc
    except stripe.StripeError as exc:
        logger.warning("billing: Stripe failed during %s: %r", action, exc)
        raise StripeUnavailable(
            _("Stripe, our payment provider, did not answer. Nothing was changed; try again later.")
        ) from exc


def as_dict(value: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts and lists."""
    return value.to_dict() if hasattr(value, "to_dict") else dict(value)


# --- checking the request -------------------------------------------------------------------


def plan_price_get(*, plan_slug: str, interval: str) -> tuple[Plan, str]:
    """The plan an owner may buy and its Stripe price id for `interval` ("monthly" or
    "yearly"). Raises BillingActionRefused for anything else."""
    if interval not in PERIODS:
        raise BillingActionRefused("interval_invalid", _("Choose monthly or yearly billing."))
    plan = Plan.objects.filter(slug=plan_slug).first() if plan_slug else None
    if plan is None or (not plan.is_public and not plan.is_trial):
        raise BillingActionRefused("plan_unknown", _("There is no such plan to choose."))
    if plan.is_trial:
        raise BillingActionRefused(
            "plan_trial", _("The trial cannot be bought. Choose a paid plan.")
        )
    price = plan.stripe_price_monthly if interval == MONTHLY else plan.stripe_price_yearly
    if not price:
        message = (
            _("The %(plan)s plan cannot be bought monthly yet.")
            if interval == MONTHLY
            else _("The %(plan)s plan cannot be bought yearly yet.")
        )
        raise BillingActionRefused("plan_not_sold", message % {"plan": plan.name})
    return plan, price


def subscription_status(subscription: dj.Subscription | None) -> str:
    return str((subscription.stripe_data or {}).get("status") or "") if subscription else ""


def subscription_manageable(*, company: Company) -> dj.Subscription:
    subscription = company_subscription(company=company)
    if subscription_status(subscription) not in MANAGEABLE_STATUSES:
        raise BillingActionRefused(
            "subscription_none", _("The company has no subscription to change. Subscribe first.")
        )
    assert subscription is not None
    return subscription


def subscription_item(subscription: dj.Subscription) -> dict[str, Any]:
    """The subscription's (single) item: its id and price."""
    items = ((subscription.stripe_data or {}).get("items") or {}).get("data") or []
    if not items:
        raise BillingActionRefused(
            "subscription_empty", _("The subscription has no plan to change.")
        )
    item: dict[str, Any] = items[0]
    return item


def item_price_id(item: dict[str, Any]) -> str:
    price = item.get("price")
    return str(price.get("id") if isinstance(price, dict) else price or "")


def billing_audit(*, company: Company, actor: User, action: str, data: dict[str, Any]) -> None:
    platform_event_record(actor=actor, action=action, target=company, company=company, data=data)


def subscription_sync(stripe_subscription: Any, *, key: str) -> dj.Subscription | None:
    """Copy the subscription and its latest invoice into dj-stripe's tables. A Stripe error
    here is logged, not raised: Stripe has made the change, and the webhook will bring it."""
    try:
        with transaction.atomic():
            synced = dj.Subscription.sync_from_stripe_data(stripe_subscription, api_key=key)
            latest = as_dict(stripe_subscription).get("latest_invoice")
            latest_id = latest.get("id") if isinstance(latest, dict) else latest
            if latest_id:
                invoice = stripe.Invoice.retrieve(latest_id, api_key=key)
                dj.Invoice.sync_from_stripe_data(invoice, api_key=key)
            return synced
    except stripe.StripeError:
        logger.warning("billing: sync after a change failed; the webhook will bring it")
        return None
