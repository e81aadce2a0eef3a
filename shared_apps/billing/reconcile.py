"""Daily Stripe jobs: the reconcile (subscriptions re-synced from Stripe and applied as the
webhooks would have, in case some were missed) and the pruning of invalid webhook deliveries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from djstripe import models as dj

from shared_apps.billing import state
from shared_apps.billing.stripe_read import company_subscription
from shared_apps.billing.stripe_sync import api_key, subscription_apply
from shared_apps.tenants.models import Company

logger = logging.getLogger(__name__)


@dataclass
class ReconcileResult:
    companies: int = 0
    moved: list[int] = field(default_factory=list)  # company ids
    failed: list[int] = field(default_factory=list)


@transaction.atomic
def _reconcile_one(
    *, company: Company, customers: list[dj.Customer], key: str, now: datetime
) -> bool:
    for customer in customers:
        customer._sync_subscriptions(api_key=key)
    subscription = company_subscription(company=company)
    if subscription is None:
        return False
    return subscription_apply(
        company=company, subscription=subscription, source=state.SOURCE_RECONCILE, at=now
    )


def billing_reconcile(*, now: datetime | None = None) -> ReconcileResult:
    """Re-sync the subscriptions of every company's customers from Stripe (canceled companies
    aside) and apply them as a webhook would have (source "reconcile"), so a company whose
    webhooks were missed ends in the right state. Each company in its own transaction; one
    company's Stripe error is logged and the others still run."""
    now = now or timezone.now()
    key = api_key()
    by_company: dict[int, list[dj.Customer]] = {}
    companies: dict[int, Company] = {}
    customers = (
        dj.Customer.objects.filter(
            subscriber__isnull=False, date_purged=None, livemode=bool(settings.STRIPE_LIVE_MODE)
        )
        # Canceled is terminal (only the platform admin leaves it): nothing to catch up on.
        .exclude(subscriber__billing_state=Company.BillingState.CANCELED)
        .select_related("subscriber")
        .order_by("subscriber_id", "created")
    )
    for customer in customers:
        company = customer.subscriber
        assert company is not None
        companies[company.pk] = company
        by_company.setdefault(company.pk, []).append(customer)
    result = ReconcileResult(companies=len(companies))
    for pk, company in companies.items():
        try:
            if _reconcile_one(company=company, customers=by_company[pk], key=key, now=now):
                result.moved.append(pk)
        except Exception:
            logger.exception("billing: reconcile failed for company %s", pk)
            result.failed.append(pk)
    logger.info(
        "billing: reconciled %d companies, %d moved, %d failed",
        result.companies,
        len(result.moved),
        len(result.failed),
    )
    return result


# --- housekeeping -----------------------------------------------------------------------------


def webhook_triggers_prune(*, now: datetime | None = None) -> int:
    """Delete the invalid deliveries dj-stripe stored (bad signature, stale timestamp,
    malformed body) once they are BILLING_INVALID_WEBHOOK_KEEP_HOURS (24) old. Valid ones
    are kept: they link the processed events."""
    hours = settings.BILLING_INVALID_WEBHOOK_KEEP_HOURS
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    deleted, _ = dj.WebhookEventTrigger.objects.filter(valid=False, created__lt=cutoff).delete()
    if deleted:
        logger.info("billing: pruned %d invalid webhook deliveries", deleted)
    return deleted
