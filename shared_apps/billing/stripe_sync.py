"""Stripe's objects, as dj-stripe synced them, applied to our billing state machine.

Webhook receivers (receivers.py) and the daily reconcile both come here. They read the
synced dj-stripe objects, never the event payload alone: dj-stripe re-retrieves the object
from Stripe before our receiver runs, so a late or replayed event is applied with today's
facts. Every move goes through `billing_state_move` with the event's time, so out-of-order
events change nothing wrong, and a move the state machine forbids (e.g. `read_only` back to
`past_due`: dunning already went further) is logged and skipped, never a 5xx that would make
Stripe retry for days.

Subscription status -> billing state:
    active, trialing          -> active
    past_due, unpaid          -> past_due
    canceled, incomplete_expired -> canceled (incomplete_expired: not for a company still on
                                 its own trial, whose first payment simply never went through)
    incomplete, paused        -> (no move: the first payment has not happened yet / paused)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from djstripe import models as dj
from djstripe.settings import djstripe_settings

from shared_apps.billing import state
from shared_apps.billing.models import Plan
from shared_apps.billing.services import (
    BillingTransitionRefused,
    billing_plan_change,
    billing_state_move,
)
from shared_apps.billing.signals import (
    NOTICE_ACTION_REQUIRED,
    NOTICE_PAYMENT_FAILED,
    NOTICE_TRIAL_ENDING,
    billing_notice,
)
from shared_apps.billing.stripe_read import company_subscription, subscription_period_end
from shared_apps.tenants.models import Company

logger = logging.getLogger(__name__)

State = Company.BillingState

STATUS_TO_STATE: dict[str, str] = {
    "active": State.ACTIVE,
    "trialing": State.ACTIVE,
    "past_due": State.PAST_DUE,
    "unpaid": State.PAST_DUE,
    "canceled": State.CANCELED,
    "incomplete_expired": State.CANCELED,
}
# Statuses whose price still says which plan the company is on.
PLAN_STATUSES = ("active", "trialing", "past_due", "unpaid")

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
)
INVOICE_EVENTS = ("invoice.paid", "invoice.payment_failed", "invoice.payment_action_required")

# What the webhook endpoint subscribes to: our receivers' events and those dj-stripe needs
# to keep the customer, checkout session and invoice copies current.
ENABLED_EVENTS = (
    "checkout.session.completed",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    *SUBSCRIPTION_EVENTS,
    "invoice.created",
    "invoice.finalized",
    "invoice.updated",
    "invoice.voided",
    "invoice.marked_uncollectible",
    *INVOICE_EVENTS,
)


class UnknownCustomer(Exception):
    """A billing event names a Stripe customer that no company owns. The webhook view
    answers 400 (nothing is kept: dj-stripe's transaction rolls back), so Stripe retries
    it later, by when the customer may have been linked."""

    code = "customer_unknown"

    def __init__(self, event_id: str, customer_id: str | None) -> None:
        super().__init__(f"event {event_id}: no company owns Stripe customer {customer_id}")
        self.event_id = event_id
        self.customer_id = customer_id


_refuse_unknown_customers: ContextVar[bool] = ContextVar(
    "billing_refuse_unknown_customers", default=False
)


@contextmanager
def unknown_customers_refused() -> Iterator[None]:
    """While answering a webhook: an event for a customer no company owns raises
    UnknownCustomer, so the view answers 400 and Stripe delivers it again later."""
    token = _refuse_unknown_customers.set(True)
    try:
        yield
    finally:
        _refuse_unknown_customers.reset(token)


def api_key() -> str:
    """The secret key for the configured mode, read now (dj-stripe's defaults are frozen
    when it is imported)."""
    return str(djstripe_settings.STRIPE_SECRET_KEY)


# --- reading the synced objects ---------------------------------------------------------------


def _object_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def _event_customer_company(event: dj.Event) -> Company | None:
    """The company whose customer the event names. For a customer no company owns: raises
    UnknownCustomer while answering Stripe (unknown_customers_refused), else logs and gives
    None (dj-stripe's admin or commands reprocessing stored events)."""
    customer_id = _object_id(event.data.get("object", {}).get("customer"))
    customer = (
        dj.Customer.objects.filter(id=customer_id).select_related("subscriber").first()
        if customer_id
        else None
    )
    company = customer.subscriber if customer is not None else None
    if company is None:
        if _refuse_unknown_customers.get():
            raise UnknownCustomer(event.id, customer_id)
        logger.warning(
            "billing: %s %s: no company owns Stripe customer %s, ignored",
            event.type,
            event.id,
            customer_id,
        )
    return company


def _price_ids(subscription: dj.Subscription) -> list[str]:
    items = (subscription.stripe_data or {}).get("items") or {}
    ids = []
    for item in items.get("data", []):
        price = _object_id(item.get("price"))
        if price:
            ids.append(price)
    return ids


def subscription_plan(subscription: dj.Subscription) -> Plan | None:
    """Our plan whose monthly or yearly Stripe price the subscription bills, if any."""
    ids = _price_ids(subscription)
    if not ids:
        return None
    return (
        Plan.objects.filter(Q(stripe_price_monthly__in=ids) | Q(stripe_price_yearly__in=ids))
        .order_by("sort_order", "pk")
        .first()
    )


def _invoice_subscription_id(invoice: dj.Invoice) -> str | None:
    data = invoice.stripe_data or {}
    legacy = _object_id(data.get("subscription"))
    if legacy:
        return legacy
    details = (data.get("parent") or {}).get("subscription_details") or {}
    return _object_id(details.get("subscription"))


# --- moves ----------------------------------------------------------------------------------


def _move(*, company: Company, to: str, reason: str, source: str, at: datetime) -> bool:
    """Move `company`; a move the rules forbid is logged and skipped. True if it moved."""
    try:
        change = billing_state_move(company=company, to=to, reason=reason, source=source, at=at)
    except BillingTransitionRefused:
        logger.info(
            "billing: %s for company %s: %s -> %s not allowed, skipped (%s)",
            source,
            company.pk,
            company.billing_state,
            to,
            reason,
        )
        return False
    return change is not None


def _send_notice(*, company: Company, kind: str, event_id: str, **extra: Any) -> None:
    results = billing_notice.send_robust(
        sender=dj.Event, company=company, kind=kind, event_id=event_id, **extra
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "billing_notice receiver %r failed for company %s (%s)",
                receiver,
                company.pk,
                kind,
                exc_info=result,
            )


def _notice_after_commit(*, company: Company, kind: str, event_id: str, **extra: Any) -> None:
    transaction.on_commit(
        partial(_send_notice, company=company, kind=kind, event_id=event_id, **extra)
    )


def subscription_apply(
    *, company: Company, subscription: dj.Subscription, source: str, at: datetime
) -> bool:
    """Put `company` on the plan and in the state its subscription says. Only the company's
    current subscription counts (stripe_read.company_subscription): the end of an old
    subscription does not cancel a company that has subscribed again. True if it moved."""
    current = company_subscription(company=company)
    if current is not None and current.id != subscription.id:
        logger.info(
            "billing: %s for company %s: subscription %s is not the current one (%s), ignored",
            source,
            company.pk,
            subscription.id,
            current.id,
        )
        return False
    status = str((subscription.stripe_data or {}).get("status") or "")
    reason = f"subscription {subscription.id} is {status}"
    if status in PLAN_STATUSES:
        plan = subscription_plan(subscription)
        if plan is not None:
            billing_plan_change(company=company, plan=plan, reason=reason, source=source)
    to = STATUS_TO_STATE.get(status)
    if to is None:
        return False
    if status == "incomplete_expired" and company.billing_state == State.TRIALING:
        # The first payment never went through: the subscription never began, and the
        # company's own trial runs on (it ends by the schedule, not by a failed checkout).
        logger.info("billing: %s for company %s: %s, trial kept", source, company.pk, reason)
        return False
    return _move(company=company, to=to, reason=reason, source=source, at=at)


@transaction.atomic
def subscription_event_apply(*, event: dj.Event) -> None:
    """customer.subscription.created/updated/deleted/trial_will_end, after dj-stripe synced
    the subscription."""
    company = _event_customer_company(event)
    if company is None:
        return
    subscription_id = _object_id(event.data.get("object"))
    subscription = dj.Subscription.objects.filter(id=subscription_id).first()
    if subscription is None:  # dj-stripe skipped it: gone from Stripe meanwhile
        logger.warning(
            "billing: %s %s: subscription %s not synced", event.type, event.id, subscription_id
        )
        return
    if STATUS_TO_STATE.get(str(subscription.stripe_data.get("status"))) == State.CANCELED:
        # Canceled is terminal: before an ended subscription cancels the company, make sure
        # no newer one exists that a late or replayed event has not told us about yet.
        subscription.customer._sync_subscriptions(api_key=api_key())
    source = f"{state.WEBHOOK_PREFIX}{event.id}"
    subscription_apply(company=company, subscription=subscription, source=source, at=event.created)
    if event.type == "customer.subscription.trial_will_end":
        ends_at = subscription.trial_end or subscription_period_end(subscription)
        _notice_after_commit(
            company=company, kind=NOTICE_TRIAL_ENDING, event_id=event.id, ends_at=ends_at
        )


@transaction.atomic
def invoice_event_apply(*, event: dj.Event) -> None:
    """invoice.paid -> active; invoice.payment_failed -> past_due and a notice with the
    hosted invoice link; invoice.payment_action_required -> a notice. Only invoices of a
    subscription count; an invoice already paid by the time a failure arrives (a late
    event) moves nothing and sends nothing."""
    company = _event_customer_company(event)
    if company is None:
        return
    invoice_id = _object_id(event.data.get("object"))
    invoice = dj.Invoice.objects.filter(id=invoice_id).first()
    if invoice is None:
        logger.warning("billing: %s %s: invoice %s not synced", event.type, event.id, invoice_id)
        return
    if _invoice_subscription_id(invoice) is None:
        logger.info(
            "billing: %s %s: invoice %s has no subscription", event.type, event.id, invoice_id
        )
        return
    data = invoice.stripe_data or {}
    status = data.get("status")
    source = f"{state.WEBHOOK_PREFIX}{event.id}"
    link = data.get("hosted_invoice_url") or ""
    if event.type == "invoice.paid":
        if status == "paid":
            _move(
                company=company,
                to=State.ACTIVE,
                reason=f"invoice {invoice.id} paid",
                source=source,
                at=event.created,
            )
        return
    if status != "open":
        logger.info(
            "billing: %s %s: invoice %s is %s now", event.type, event.id, invoice_id, status
        )
        return
    if event.type == "invoice.payment_failed":
        _move(
            company=company,
            to=State.PAST_DUE,
            reason=f"payment of invoice {invoice.id} failed",
            source=source,
            at=event.created,
        )
        kind = NOTICE_PAYMENT_FAILED
    else:
        kind = NOTICE_ACTION_REQUIRED
    _notice_after_commit(company=company, kind=kind, event_id=event.id, hosted_invoice_url=link)
