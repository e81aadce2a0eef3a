"""A canceled company's data: kept BILLING_CANCELED_RETENTION_DAYS (30), then deleted.

Daily (`billing.canceled_purge`, beat at 05:10):
1. A canceled company whose deletion is BILLING_FINAL_EXPORT_NOTICE_DAYS (7) away or less
   gets the final email to its owners and admins: the date of the deletion and a signed,
   expiring link to a full export (from the company-schema app, through the
   `final_export_link` hook of shared_apps/tenants/hooks.py). The email is recorded as a
   PlatformEvent ("billing.final_export_emailed"), which is what step 2 reads.
2. A canceled company past its retention whose final email announced a deletion date that
   has come (never sooner than the notice days after the email) is deleted by
   `company_delete` (schema dropped, public rows removed), audited with actor None. No
   email, no deletion: a company the job never reached is kept longer rather than deleted
   without warning.

A company moved out of `canceled` (the platform admin) is skipped; its clock restarts if it
is canceled again, and an email from an earlier cancellation does not count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, Exists, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from saas.celery import app
from shared_apps.audit.models import PlatformEvent
from shared_apps.audit.services import platform_event_record
from shared_apps.billing import state
from shared_apps.tenants import hooks
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_delete

logger = logging.getLogger(__name__)

State = Company.BillingState
FINAL_EXPORT_EMAILED = "billing.final_export_emailed"
RETENTION_EXPIRED = "billing.retention_expired"


def final_export_link(*, company: Company, expires_at: datetime) -> str | None:
    """The link the `final_export_link` hook gives (MissingHook when no app registered it);
    a failing provider is logged and the email then says how to export by hand (the
    deletion still waits for it)."""
    provider = hooks.final_export_link.func
    try:
        return provider(company=company, expires_at=expires_at) or None
    except Exception:
        logger.exception("final export link for company %s failed", company.pk)
        return None


def notice_period() -> timedelta:
    return timedelta(days=settings.BILLING_FINAL_EXPORT_NOTICE_DAYS)


def deletion_due_at(company: Company) -> datetime:
    """The earliest time a canceled company's data may go (its retention's end)."""
    return company.billing_state_changed_at + state.canceled_retention()


# --- Reads ----------------------------------------------------------------------------------------


def _emailed(*, deletes_by: datetime | None = None) -> Exists:
    """A final email recorded during the company's current cancellation (that announced
    a deletion at `deletes_by` or earlier)."""
    events = PlatformEvent.objects.filter(
        action=FINAL_EXPORT_EMAILED,
        company_id=OuterRef("pk"),
        created_at__gte=OuterRef("billing_state_changed_at"),
    )
    if deletes_by is not None:
        events = events.alias(deletes_at=Cast(KT("data__deletes_at"), DateTimeField())).filter(
            deletes_at__lte=deletes_by
        )
    return Exists(events)


def canceled_notice_due(now: datetime) -> QuerySet[Company]:
    """Canceled companies within the notice period of their deletion, not yet emailed."""
    return (
        Company.objects.filter(
            billing_state=State.CANCELED,
            billing_state_changed_at__lte=now - state.canceled_retention() + notice_period(),
        )
        .exclude(_emailed())
        .order_by("pk")
    )


def canceled_purge_due(now: datetime) -> QuerySet[Company]:
    """Canceled companies past their retention whose final email announced a deletion at
    `now` or earlier."""
    return Company.objects.filter(
        _emailed(deletes_by=now),
        billing_state=State.CANCELED,
        billing_state_changed_at__lte=now - state.canceled_retention(),
    ).order_by("pk")


# --- Writes ---------------------------------------------------------------------------------------


@transaction.atomic
def billing_final_export_notify(*, company: Company, now: datetime) -> bool:
    """Email the final export link (once per cancellation) and record it. False if the
    company is no longer canceled or was emailed meanwhile."""
    from shared_apps.billing.notify import Message, billing_email_send

    locked = Company.objects.select_for_update().get(pk=company.pk)
    if locked.billing_state != State.CANCELED:
        return False
    if Company.objects.filter(pk=locked.pk).filter(_emailed()).exists():
        return False
    # Never sooner than the notice period from now, whatever the retention said.
    deletes_at = max(deletion_due_at(locked), now + notice_period())
    url = final_export_link(company=locked, expires_at=deletes_at)
    # One message per cancellation (a retried run does not send it twice).
    canceled_at = int(locked.billing_state_changed_at.timestamp())
    count = billing_email_send(
        Message(
            company=locked,
            template="final_export",
            key=f"billing:final_export:{locked.pk}:{canceled_at}",
            context={"export_url": url or ""},
            deadline=deletes_at,
        )
    )
    platform_event_record(
        actor=None,
        action=FINAL_EXPORT_EMAILED,
        target=locked,
        company=locked,
        data={"deletes_at": deletes_at.isoformat(), "export_link": bool(url), "recipients": count},
    )
    return True


@transaction.atomic
def billing_canceled_company_delete(*, company: Company, now: datetime) -> bool:
    """Delete a canceled company whose retention and notice are over (checked again under
    the lock: the platform admin may have moved it). True if deleted."""
    locked = Company.objects.select_for_update().get(pk=company.pk)
    if not canceled_purge_due(now).filter(pk=locked.pk).exists():
        return False
    platform_event_record(
        actor=None,
        action=RETENTION_EXPIRED,
        target=locked,
        company=locked,
        data={
            "subdomain": locked.subdomain,
            "canceled_at": locked.billing_state_changed_at.isoformat(),
            "retention_days": settings.BILLING_CANCELED_RETENTION_DAYS,
        },
    )
    company_delete(company=locked, actor=None)
    return True


@dataclass(frozen=True)
class PurgeResult:
    emailed: int
    deleted: int


def billing_canceled_purge(*, now: datetime | None = None) -> PurgeResult:
    """Step 1 and 2 above; each company in its own transaction, one failure logged and
    the others still done."""
    now = now or timezone.now()
    emailed = deleted = 0
    for company in canceled_notice_due(now):
        try:
            emailed += billing_final_export_notify(company=company, now=now)
        except Exception:
            logger.exception("billing: final export email for company %s failed", company.pk)
    for company in canceled_purge_due(now):
        try:
            deleted += billing_canceled_company_delete(company=company, now=now)
        except Exception:
            logger.exception("billing: could not delete canceled company %s", company.pk)
    logger.info("billing: canceled purge emailed %d, deleted %d", emailed, deleted)
    return PurgeResult(emailed=emailed, deleted=deleted)


@app.task(name="billing.canceled_purge")
def canceled_purge() -> dict[str, int]:
    """Beat entry (daily, public): final export emails, then deletions past retention."""
    result = billing_canceled_purge()
    return {"emailed": result.emailed, "deleted": result.deleted}
