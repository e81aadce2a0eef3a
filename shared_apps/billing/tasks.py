"""Periodic billing work. Runs in public: billing state lives on the company rows there."""

from __future__ import annotations

from saas.celery import app
from shared_apps.billing.services import billing_grace_advance


@app.task(name="billing.grace_advance")
def grace_advance() -> int:
    """Beat entry (hourly): move the companies whose trial, grace or read-only period ran
    out. Safe to run twice: a company moves once per due stage."""
    return len(billing_grace_advance())
