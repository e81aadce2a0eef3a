"""What a company's owner does with Stripe from the billing page: subscribe through Checkout,
change plan (with a proration preview), cancel at period end and resume, open the Customer
Portal.

Each service calls Stripe first and writes locally only once Stripe has answered, so a Stripe
outage leaves nothing half-written here (`StripeUnavailable`); a refused request
(`BillingActionRefused`: unknown plan, the current plan, no subscription...) changes nothing
anywhere. After a change the Stripe objects are synced through dj-stripe at once so the page
is right before the webhook arrives; the billing state itself is moved only by the webhook
receivers and the reconcile job (stripe_sync.py), never here.

Plan changes use `proration_behavior="always_invoice"`: the prorated difference is invoiced
and charged at once (a downgrade leaves a credit on the customer's balance), so what the
preview shows as due now is what is charged, and a company cannot upgrade for the rest of a
period without paying for it. The preview's proration time is carried to the confirmation
signed (`switch_token`), so the charge matches the preview that was confirmed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import stripe
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from djstripe import models as dj

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import Plan
from shared_apps.billing.stripe_calls import (
    BLOCKING_STATUSES,
    MANAGEABLE_STATUSES,
    BillingActionRefused,
    StripeUnavailable,
    as_dict,
    billing_audit,
    item_price_id,
    plan_price_get,
    stripe_call,
    subscription_item,
    subscription_manageable,
    subscription_status,
    subscription_sync,
)
from shared_apps.billing.stripe_read import company_customer, company_subscription
from shared_apps.billing.stripe_sync import api_key
from shared_apps.tenants.models import Company

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

PRORATION_BEHAVIOR = "always_invoice"
SWITCH_TOKEN_MAX_AGE = 30 * 60  # seconds between the preview and its confirmation
_SWITCH_SALT = "billing.plan_switch"

__all__ = [
    "MANAGEABLE_STATUSES",
    "PRORATION_BEHAVIOR",
    "BillingActionRefused",
    "StripeUnavailable",
]


# --- Checkout -------------------------------------------------------------------------------


def billing_customer_get_or_create(*, company: Company, key: str) -> dj.Customer:
    """The company's Stripe customer, created with its billing email on the first checkout
    (dj-stripe's subscriber key in the metadata links it back to the company)."""
    customer = company_customer(company=company)
    if customer is not None:
        return customer
    with stripe_call("customer create"):
        created = stripe.Customer.create(
            email=company.email,
            name=company.name,
            metadata={"djstripe_subscriber": str(company.pk)},
            api_key=key,
            # A retry (double click, an error after Stripe answered) gets the same customer.
            idempotency_key=f"company-{company.pk}-customer",
        )
        with transaction.atomic():
            synced: dj.Customer = dj.Customer.sync_from_stripe_data(created, api_key=key)
    return synced


def billing_checkout_start(
    *,
    company: Company,
    plan_slug: str,
    interval: str,
    success_url: str,
    cancel_url: str,
    actor: User,
) -> str:
    """Open a Stripe Checkout session for the company's first (or next, after a cancel)
    subscription and return its URL. `success_url` gets `session_id={CHECKOUT_SESSION_ID}`."""
    plan, price = plan_price_get(plan_slug=plan_slug, interval=interval)
    if subscription_status(company_subscription(company=company)) in BLOCKING_STATUSES:
        raise BillingActionRefused(
            "subscription_exists",
            _("The company already has a subscription. Change its plan instead."),
        )
    key = api_key()
    customer = billing_customer_get_or_create(company=company, key=key)
    metadata = {"company_id": str(company.pk), "plan": plan.slug, "interval": interval}
    separator = "&" if "?" in success_url else "?"
    with stripe_call("checkout"):
        session = stripe.checkout.Session.create(
            mode="subscription",
            customer=customer.id,
            line_items=[{"price": price, "quantity": 1}],
            success_url=f"{success_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=cancel_url,
            client_reference_id=str(company.pk),
            metadata=metadata,
            subscription_data={"metadata": metadata},
            api_key=key,
            # A double click within ten minutes opens the same session, not a second one.
            idempotency_key=(f"company-{company.pk}-checkout-{price}-{int(time.time() // 600)}"),
        )
    with transaction.atomic():
        billing_audit(
            company=company,
            actor=actor,
            action="billing.checkout_started",
            data={"plan": plan.slug, "interval": interval, "session": session.id},
        )
    return str(session.url)


@dataclass(frozen=True)
class CheckoutReturn:
    complete: bool
    subscription: dj.Subscription | None


def billing_checkout_finish(*, company: Company, session_id: str, actor: User) -> CheckoutReturn:
    """Back from Checkout: sync the new subscription (and its first invoice) at once so the
    page shows it before the webhook comes. A session of another company is refused."""
    if not session_id or not session_id.startswith("cs_"):
        raise BillingActionRefused("session_unknown", _("This checkout session is unknown."))
    key = api_key()
    with stripe_call("checkout return"):
        try:
            session = as_dict(stripe.checkout.Session.retrieve(session_id, api_key=key))
        except stripe.InvalidRequestError as exc:
            raise BillingActionRefused(
                "session_unknown", _("This checkout session is unknown.")
            ) from exc
    customer = company_customer(company=company)
    if session.get("client_reference_id") != str(company.pk) or (
        customer is None or session.get("customer") != customer.id
    ):
        raise BillingActionRefused("session_unknown", _("This checkout session is unknown."))
    subscription_id = session.get("subscription")
    if session.get("status") != "complete" or not subscription_id:
        return CheckoutReturn(complete=False, subscription=None)
    with stripe_call("checkout return"):
        stripe_subscription = stripe.Subscription.retrieve(str(subscription_id), api_key=key)
    synced = subscription_sync(stripe_subscription, key=key)
    with transaction.atomic():
        # Once per session: the success page may be reloaded.
        done = PlatformEvent.objects.filter(
            company_id=company.pk, action="billing.checkout_completed", data__session=session_id
        )
        if not done.exists():
            billing_audit(
                company=company,
                actor=actor,
                action="billing.checkout_completed",
                data={"session": session_id, "subscription": str(subscription_id)},
            )
    return CheckoutReturn(complete=True, subscription=synced)


# --- plan change ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchPreview:
    plan: Plan
    interval: str
    currency: str
    due_now: int  # cents charged when confirmed
    credit: int  # cents left on the balance (a downgrade), 0 otherwise
    next_amount: int | None  # cents of the next regular invoice, when nothing is due now
    lines: list[tuple[str, int]]  # (description, cents)
    token: str  # signed proration time, for the confirmation


def _switch_token(*, company: Company, price: str, at: int | None) -> str:
    return signing.dumps({"c": company.pk, "p": price, "at": at}, salt=_SWITCH_SALT)


def _switch_token_read(*, company: Company, price: str, token: str) -> int | None:
    try:
        data = signing.loads(token, salt=_SWITCH_SALT, max_age=SWITCH_TOKEN_MAX_AGE)
    except signing.BadSignature as exc:  # includes SignatureExpired
        raise BillingActionRefused(
            "preview_expired", _("The preview has expired. Review the change again.")
        ) from exc
    if not isinstance(data, dict) or data.get("c") != company.pk or data.get("p") != price:
        raise BillingActionRefused(
            "preview_expired", _("The preview has expired. Review the change again.")
        )
    at = data.get("at")
    return int(at) if isinstance(at, int) else None


def _switch_target(
    *, company: Company, plan_slug: str, interval: str
) -> tuple[dj.Subscription, dict[str, Any], Plan, str]:
    plan, price = plan_price_get(plan_slug=plan_slug, interval=interval)
    subscription = subscription_manageable(company=company)
    item = subscription_item(subscription)
    if item_price_id(item) == price:
        raise BillingActionRefused("plan_current", _("The company is already on this plan."))
    return subscription, item, plan, price


def billing_plan_switch_preview(
    *, company: Company, plan_slug: str, interval: str
) -> SwitchPreview:
    """What moving to `plan_slug`/`interval` would invoice now (a read: Stripe's
    create_preview with the same proration behaviour the change uses)."""
    subscription, item, plan, price = _switch_target(
        company=company, plan_slug=plan_slug, interval=interval
    )
    customer_id = subscription.customer_id
    with stripe_call("plan change preview"):
        preview = as_dict(
            stripe.Invoice.create_preview(
                customer=str(customer_id),
                subscription=subscription.id,
                subscription_details={
                    "items": [{"id": item["id"], "price": price}],
                    "proration_behavior": PRORATION_BEHAVIOR,
                },
                api_key=api_key(),
            )
        )
    now = preview.get("billing_reason") == "subscription_update"
    total = int(preview.get("total") or 0)
    lines = [
        (str(line.get("description") or ""), int(line.get("amount") or 0))
        for line in (preview.get("lines") or {}).get("data", [])
    ]
    return SwitchPreview(
        plan=plan,
        interval=interval,
        currency=str(preview.get("currency") or plan.currency).upper(),
        due_now=int(preview.get("amount_due") or 0) if now else 0,
        credit=-total if now and total < 0 else 0,
        next_amount=None if now else int(preview.get("amount_due") or 0),
        lines=lines if now else [],
        token=_switch_token(
            company=company, price=price, at=preview.get("subscription_proration_date")
        ),
    )


def billing_plan_switch(
    *, company: Company, plan_slug: str, interval: str, token: str, actor: User
) -> dj.Subscription | None:
    """Move the subscription to another plan or interval, as previewed (`token` from
    `billing_plan_switch_preview`); the difference is invoiced at once."""
    subscription, item, plan, price = _switch_target(
        company=company, plan_slug=plan_slug, interval=interval
    )
    at = _switch_token_read(company=company, price=price, token=token)
    key = api_key()
    params: dict[str, Any] = {
        "items": [{"id": item["id"], "price": price}],
        "proration_behavior": PRORATION_BEHAVIOR,
    }
    if at is not None:
        params["proration_date"] = at
    with stripe_call("plan change"):
        updated = stripe.Subscription.modify(
            subscription.id,
            api_key=key,
            idempotency_key=f"switch-{subscription.id}-{item['id']}-{price}-{at}",
            **params,
        )
    with transaction.atomic():
        billing_audit(
            company=company,
            actor=actor,
            action="billing.plan_switched",
            data={
                "subscription": subscription.id,
                "from_price": item_price_id(item),
                "to": plan.slug,
                "interval": interval,
                "proration_date": at,
            },
        )
    return subscription_sync(updated, key=key)


# --- cancel, resume, portal -----------------------------------------------------------------


def _cancel_flag(subscription: dj.Subscription) -> bool:
    return bool((subscription.stripe_data or {}).get("cancel_at_period_end"))


def _set_cancel(*, company: Company, cancel: bool, actor: User) -> dj.Subscription | None:
    subscription = subscription_manageable(company=company)
    if _cancel_flag(subscription) == cancel:
        if cancel:
            raise BillingActionRefused(
                "already_canceling", _("The subscription already ends at the end of the period.")
            )
        raise BillingActionRefused("not_canceling", _("The subscription is not set to end."))
    key = api_key()
    with stripe_call("cancel" if cancel else "resume"):
        updated = stripe.Subscription.modify(
            subscription.id, cancel_at_period_end=cancel, api_key=key
        )
    with transaction.atomic():
        billing_audit(
            company=company,
            actor=actor,
            action="billing.cancel_requested" if cancel else "billing.resumed",
            data={"subscription": subscription.id},
        )
    return subscription_sync(updated, key=key)


def billing_cancel(*, company: Company, actor: User) -> dj.Subscription | None:
    """End the subscription at the end of the current period (it can be resumed until then)."""
    return _set_cancel(company=company, cancel=True, actor=actor)


def billing_resume(*, company: Company, actor: User) -> dj.Subscription | None:
    """Keep a subscription that was set to end at the end of the period."""
    return _set_cancel(company=company, cancel=False, actor=actor)


def billing_portal_open(*, company: Company, return_url: str, actor: User) -> str:
    """A Customer Portal session (payment methods, invoices, billing details); its URL."""
    customer = company_customer(company=company)
    if customer is None:
        raise BillingActionRefused(
            "customer_none", _("The company has no billing account yet. Subscribe first.")
        )
    with stripe_call("portal"):
        session = stripe.billing_portal.Session.create(
            customer=customer.id, return_url=return_url, api_key=api_key()
        )
    with transaction.atomic():
        billing_audit(
            company=company,
            actor=actor,
            action="billing.portal_opened",
            data={"customer": customer.id},
        )
    return str(session.url)
