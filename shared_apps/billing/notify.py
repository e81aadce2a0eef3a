"""Emails to a company's owners and admins when its billing state moves or Stripe warns.

The signals (shared_apps/billing/signals.py) are sent after commit; each receiver only
enqueues one Celery task with ids and plain values (or, with the broker down, runs it
in-process: it only writes the messages to the notifications outbox). The task, in public,
finds the owners and admins and enqueues one message each through
shared_apps/notifications (their own language and time zone, an idempotency key per
message and recipient, retried on SMTP errors). Links point at the company's own host.

Duplicates: the state machine signals real moves only, and each move's messages are keyed by
its history row. A Stripe notice (payment failed, action required, trial ending) is keyed by
its event id: a redelivered or replayed event finds the key taken and sends nothing. The keys
that decide are the outbox's (one per message and recipient, in PostgreSQL, kept 7 days after
sending); a cache key per event, kept 60 days, is a first filter that also catches a replay
after the outbox was pruned, and is skipped when the cache is down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from saas.celery import app
from shared_apps.accounts.models import Membership, User
from shared_apps.billing import (
    retention,  # noqa: F401  (registers billing.canceled_purge)
    state,
)
from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.signals import (
    NOTICE_ACTION_REQUIRED,
    NOTICE_KINDS,
    NOTICE_PAYMENT_FAILED,
    NOTICE_TRIAL_ENDING,
    billing_notice,
    billing_state_changed,
)
from shared_apps.notifications.services import email_enqueue, recipient_language
from shared_apps.tenants import origins
from shared_apps.tenants.models import Company

logger = logging.getLogger(__name__)

State = Company.BillingState
NOTIFIED_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)
# Stripe retries an undelivered event for three days and a replay can come later; a notice
# seen within this long is not sent again.
NOTICE_SEEN_TTL = 60 * 24 * 3600
DEFAULT_ZONE = "Europe/Sofia"

# Emails sent on moves (templates/email/billing/<kind>.*).
EMAIL_GRACE = "grace"
EMAIL_READ_ONLY = "read_only"
EMAIL_SUSPENDED = "suspended"
EMAIL_RESTORED = "restored"
EMAIL_CANCELED = "canceled"
RESTORED_FROM = frozenset({State.PAST_DUE, State.READ_ONLY, State.SUSPENDED})


def move_email(old: str, new: str) -> str | None:
    """Which email a move from `old` to `new` sends, if any. Trial → active (the first
    payment) and forced trials send none: the person who did it knows."""
    if new == State.PAST_DUE:
        return EMAIL_GRACE
    if new == State.READ_ONLY:
        return EMAIL_READ_ONLY
    if new == State.SUSPENDED:
        return EMAIL_SUSPENDED
    if new == State.CANCELED:
        return EMAIL_CANCELED
    if new == State.ACTIVE and old in RESTORED_FROM:
        return EMAIL_RESTORED
    return None


def move_deadline(kind: str, at: datetime) -> datetime | None:
    """When the stage that `kind` announces ends, counted from the move's time."""
    if kind == EMAIL_GRACE:
        return at + state.past_due_grace()
    if kind == EMAIL_READ_ONLY:
        return at + state.read_only_period()
    if kind == EMAIL_CANCELED:
        return at + state.canceled_retention()
    return None


def company_origin(company: Company) -> str:
    """scheme://<subdomain>.<base domain>[:port] for links in emails (no request at hand)."""
    return origins.company_origin(company.subdomain)


def billing_url(company: Company) -> str:
    return f"{company_origin(company)}/billing/"


def billing_recipients(*, company: Company) -> QuerySet[User]:
    """The company's active owners and admins, each once."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__company=company,
            memberships__role__in=NOTIFIED_ROLES,
        )
        .distinct()
        .order_by("pk")
    )


def safe_link(url: str | None, fallback: str) -> str:
    """`url` if it is an http(s) link (Stripe's hosted invoice page), else `fallback`."""
    if url and urlsplit(url).scheme in ("https", "http") and urlsplit(url).netloc:
        return url
    return fallback


def local_date(when: datetime, *, user: User, language: str) -> str:
    """`when` as a date in the recipient's time zone and language."""
    try:
        zone = ZoneInfo(user.time_zone or DEFAULT_ZONE)
    except (ValueError, KeyError):
        zone = ZoneInfo(DEFAULT_ZONE)
    with translation.override(language):
        return str(formats.date_format(timezone.localtime(when, zone).date(), "DATE_FORMAT"))


def days_left(until: datetime, *, now: datetime | None = None) -> int:
    """Whole days from `now` to `until`, rounded up, never below zero."""
    seconds = (until - (now or timezone.now())).total_seconds()
    return max(0, int(-(-seconds // 86400)))


@dataclass(frozen=True)
class Message:
    """One billing email to every owner and admin of `company`."""

    company: Company
    template: str  # under templates/email/billing/
    key: str  # identifies the message; the recipient is appended
    context: dict[str, Any]  # JSON values, shared by every recipient
    deadline: datetime | None = None  # shown as a date in each recipient's zone


def billing_email_send(message: Message) -> int:
    """Enqueue `message` for each owner and admin; returns how many were new (a recipient
    whose message with this key is already in the outbox is not counted)."""
    company = message.company
    base = {
        "company_name": company.name,
        "company_url": f"{company_origin(company)}/",
        "billing_url": billing_url(company),
        **message.context,
    }
    if message.deadline is not None:
        base["days_left"] = days_left(message.deadline)
    count = 0
    for user in billing_recipients(company=company):
        context = {**base, "name": user.get_short_name()}
        if message.deadline is not None:
            language = recipient_language(user=user)
            context["deadline"] = local_date(message.deadline, user=user, language=language)
        count += email_enqueue(
            template=f"billing/{message.template}",
            to_user=user,
            context=context,
            idempotency_key=f"{message.key}:{user.pk}",
        )
    logger.info("billing email %s for company %s to %d recipients", message.key, company.pk, count)
    return count


# --- Tasks (public schema) --------------------------------------------------------------------


@app.task(name="billing.notify_state_changed")
def notify_state_changed(change_id: int) -> int:
    """Email the owners and admins about one recorded move. Returns the recipients' count."""
    change = BillingStateChange.objects.select_related("company").filter(pk=change_id).first()
    if change is None:
        return 0
    kind = move_email(change.from_state, change.to_state)
    if kind is None:
        return 0
    context: dict[str, Any] = {
        "trial_ended": change.reason == state.REASON_TRIAL_EXPIRED,
        "from_state": change.from_state,
    }
    return billing_email_send(
        Message(
            company=change.company,
            template=kind,
            key=f"billing:move:{change.pk}",
            context=context,
            deadline=move_deadline(kind, change.at),
        )
    )


def notice_seen_key(*, company_id: int, kind: str, event_id: str) -> str:
    return f"billing:notice:{company_id}:{kind}:{event_id}"


def _first_time(key: str) -> bool:
    """A quick "seen before" check in the cache (NOTICE_SEEN_TTL, longer than the outbox keeps
    sent rows). Only a first filter: the outbox's per-recipient keys are what stop a
    duplicate, so a cache that is down or evicted the key lets the work go on."""
    try:
        return bool(caches["default"].add(key, 1, timeout=NOTICE_SEEN_TTL))
    except Exception:
        logger.warning("billing: cache unavailable for %s; the outbox keys dedupe", key)
        return True


def _forget(key: str) -> None:
    try:
        caches["default"].delete(key)
    except Exception:
        logger.warning("billing: could not drop %s from the cache", key)


@app.task(name="billing.notify_notice")
def notify_notice(
    company_id: int,
    kind: str,
    event_id: str,
    hosted_invoice_url: str = "",
    ends_at: str = "",
) -> int:
    """Email the owners and admins about a Stripe warning, once per event. Returns the
    recipients' count (0 for a duplicate)."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown billing notice {kind!r}")
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    # a global key: it names the company itself
    key = notice_seen_key(company_id=company_id, kind=kind, event_id=event_id)
    if not _first_time(key):
        logger.info("billing notice %s already sent; skipped", key)
        return 0
    try:
        deadline: datetime | None = None
        context: dict[str, Any] = {}
        if kind in (NOTICE_PAYMENT_FAILED, NOTICE_ACTION_REQUIRED):
            context["invoice_url"] = safe_link(hosted_invoice_url, billing_url(company))
            if company.billing_state == State.PAST_DUE:
                # the grace's end, so this email alone says what happens when
                deadline = company.billing_state_changed_at + state.past_due_grace()
        if kind == NOTICE_TRIAL_ENDING:
            deadline = (parse_datetime(ends_at) if ends_at else None) or company.trial_ends_at
        return billing_email_send(
            Message(
                company=company,
                template=kind,
                key=f"billing:notice:{kind}:{event_id}",
                context=context,
                deadline=deadline,
            )
        )
    except BaseException:
        _forget(key)  # the retry (or the redelivered event) sends
        raise


# How long before the grace ends the reminder goes out (a daily run finds each company).
GRACE_REMINDER_BEFORE = timedelta(days=2)


def grace_reminder_due(now: datetime) -> QuerySet[Company]:
    """Past-due companies whose grace ends within GRACE_REMINDER_BEFORE (not yet ended)."""
    grace = state.past_due_grace()
    return Company.objects.filter(
        billing_state=State.PAST_DUE,
        billing_state_changed_at__lte=now - grace + GRACE_REMINDER_BEFORE,
        billing_state_changed_at__gt=now - grace,
    ).order_by("pk")


@app.task(name="billing.grace_reminders")
def grace_reminders() -> int:
    """Periodic (public): remind the owners and admins of each past-due company, once per
    grace period, that it becomes read-only soon. Returns how many companies were reminded."""
    count = 0
    for company in grace_reminder_due(timezone.now()):
        since = int(company.billing_state_changed_at.timestamp())
        key = f"billing:grace_reminder:{company.pk}:{since}"
        if not _first_time(key):
            continue
        try:
            sent = billing_email_send(
                Message(
                    company=company,
                    template="grace_reminder",
                    key=key,
                    context={},
                    deadline=company.billing_state_changed_at + state.past_due_grace(),
                )
            )
        except Exception:
            _forget(key)
            logger.exception("billing: grace reminder for company %s failed", company.pk)
            continue
        count += bool(sent)
    return count


# --- Receivers ----------------------------------------------------------------------------------


def _enqueue(task: Any, **kwargs: Any) -> None:
    # The task reads public rows; enqueue it from public whatever host sent the signal.
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        try:
            task.delay(**kwargs)
        except Exception as exc:
            # The broker is down. The task only reads rows and writes the messages to the
            # notifications outbox, which sends them once the broker is back: run it here.
            logger.warning(
                "billing: %s not handed to the broker (%s); running it in-process",
                task.name,
                type(exc).__name__,
            )
            task(**kwargs)


def on_state_changed(
    sender: Any, company: Company, old: str, new: str, change: BillingStateChange, **kwargs: Any
) -> None:
    if move_email(old, new) is None:
        return
    try:
        _enqueue(notify_state_changed, change_id=change.pk)
    except Exception:
        logger.exception("billing: could not enqueue the email for move %s", change.pk)


def on_notice(
    sender: Any,
    company: Company,
    kind: str,
    event_id: str,
    hosted_invoice_url: str | None = None,
    ends_at: datetime | None = None,
    **kwargs: Any,
) -> None:
    if kind not in NOTICE_KINDS:
        logger.error("billing: unknown notice %r for company %s", kind, company.pk)
        return
    try:
        _enqueue(
            notify_notice,
            company_id=company.pk,
            kind=kind,
            event_id=event_id,
            hosted_invoice_url=hosted_invoice_url or "",
            ends_at=ends_at.isoformat() if ends_at is not None else "",
        )
    except Exception:
        logger.exception("billing: could not enqueue the %s notice for %s", kind, company.pk)


billing_state_changed.connect(on_state_changed, dispatch_uid="billing.notify.state_changed")
billing_notice.connect(on_notice, dispatch_uid="billing.notify.notice")
