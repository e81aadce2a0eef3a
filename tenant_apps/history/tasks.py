"""Periodic pruning of old audit rows, fanned out one task per company."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from saas.celery import app
from shared_apps.tenants.dispatch import CompanyTask, Work, for_each_company
from tenant_apps.history.models import AuditEvent

DEFAULT_RETENTION_DAYS = 730


@app.task(base=CompanyTask, name="history.audit_prune")
def audit_prune(days: int | None = None) -> int:
    retention = getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    keep_days = days if days is not None else int(retention)
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@app.task(name="history.audit_prune_all")
def audit_prune_all(days: int | None = None) -> int:
    """Beat entry (public): one `history.audit_prune` per company whose billing state gets
    it (WORK_BY_BILLING_STATE)."""
    return for_each_company(audit_prune, kwargs={"days": days}, work=Work.AUDIT_PRUNE)
