"""Periodic billing work. Runs in public: billing state lives on the company rows there."""

from __future__ import annotations

from saas.celery import app
from shared_apps.billing.reconcile import billing_reconcile, webhook_triggers_prune
from shared_apps.billing.services import billing_grace_advance


@app.task(name="billing.grace_advance")
def grace_advance() -> int:
    """Beat entry (hourly): move the companies whose trial, grace or read-only period ran
    out. Safe to run twice: a company moves once per due stage."""
    return len(billing_grace_advance())


@app.task(name="billing.reconcile")
def reconcile() -> dict[str, int]:
    """Beat entry (daily): re-sync every company's subscriptions from Stripe and apply them,
    in case webhooks were missed. Safe to run twice: moves are idempotent."""
    result = billing_reconcile()
    return {
        "companies": result.companies,
        "moved": len(result.moved),
        "failed": len(result.failed),
    }


@app.task(name="billing.webhook_events_prune")
def webhook_events_prune() -> int:
    """Beat entry (daily): delete invalid webhook deliveries older than a day."""
    return webhook_triggers_prune()
