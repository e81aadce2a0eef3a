"""The outbox's bookkeeping: add, publish, claim, finish, flush and prune `OutboundEmail` rows.

The life of a row:

    pending --claim--> sending --sent--> sent (context emptied; pruned after SENT_KEEP)
       ^                  |
       +--- retryable ----+--- permanent error, or failing for GIVE_UP_AFTER --> failed

A `sending` row whose worker died (no answer within STALE_AFTER) may be claimed again. The
claim is one conditional UPDATE, so a duplicated or redelivered task sends once. Delivery is
at least once: a worker that dies after the SMTP server accepted the message but before the
row is marked sent leads to a second copy after STALE_AFTER.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shared_apps.notifications.models import OutboundEmail

logger = logging.getLogger(__name__)

Status = OutboundEmail.Status

# How long after the commit the flush first looks at a row that is still pending: the
# on-commit publish normally delivers it well before.
FIRST_FLUSH_AFTER = timedelta(minutes=1)
# A row the flush handed to the broker is not handed again before this (a slow queue is
# not flooded with copies; the claim would make them harmless anyway).
REPUBLISH_AFTER = timedelta(minutes=5)
# After a failed attempt Celery retries with backoff (io_task, at most ~10 minutes apart);
# the flush takes over only if that chain ended or its retry never reached the broker.
RETRY_AFTER = timedelta(minutes=15)
# A claimed row not finished within this is taken to have lost its worker.
STALE_AFTER = timedelta(minutes=10)
# A message still failing this long after it was written is given up (status failed).
GIVE_UP_AFTER = timedelta(days=1)
GIVE_UP_MIN_ATTEMPTS = 3
# Sent rows are kept this long for diagnosis, failed ones longer.
SENT_KEEP = timedelta(days=7)
FAILED_KEEP = timedelta(days=30)
FLUSH_BATCH = 500
ERROR_LENGTH = 300
KEY_LENGTH = 255  # OutboundEmail.idempotency_key


def outbox_key(idempotency_key: str) -> str:
    """The key as stored: one longer than the column keeps its start and a hash of it all."""
    if len(idempotency_key) <= KEY_LENGTH:
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"{idempotency_key[: KEY_LENGTH - len(digest) - 1]}#{digest}"


def outbox_add(
    *, template: str, to: str, context: dict[str, Any], language: str, idempotency_key: str
) -> OutboundEmail | None:
    """Write the message in the caller's transaction; None if its key was already written
    (the same message asked for twice is sent once)."""
    idempotency_key = outbox_key(idempotency_key)
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            return OutboundEmail.objects.create(
                template=template,
                to=to,
                context=context,
                language=language,
                idempotency_key=idempotency_key,
                next_attempt_at=timezone.now() + FIRST_FLUSH_AFTER,
            )
    except IntegrityError:
        if OutboundEmail.objects.filter(idempotency_key=idempotency_key).exists():
            logger.info("email %s was already written; not again", idempotency_key)
            return None
        raise


def outbox_publish(email: OutboundEmail) -> bool:
    """Hand the row to the broker. A broker that is down (or any other publishing error) is
    logged and answered with False, never raised: the row stays pending and the periodic
    flush hands it over later. The publish retries once at once, so a dead broker costs
    milliseconds (connection refused), not seconds."""
    from shared_apps.notifications.tasks import send_email

    try:
        # The worker reads everything from the row. The message carries only what names it
        # (for logs and monitoring), never the address or the context: reset and invitation
        # links must not sit in the broker's memory and append-only file.
        send_email.delay(
            outbox_id=email.pk,
            template=email.template,
            language=email.language,
            idempotency_key=email.idempotency_key,
        )
    except Exception as exc:
        logger.warning(
            "email %s (%s) not handed to the broker (%s); the outbox flush retries it",
            email.pk,
            email.template,
            type(exc).__name__,
        )
        return False
    return True


def outbox_adopt(
    *, template: str, to: str, context: dict[str, Any], language: str, idempotency_key: str
) -> OutboundEmail:
    """The row for a task message enqueued without one (before the outbox existed)."""
    email, _created = OutboundEmail.objects.get_or_create(
        idempotency_key=outbox_key(idempotency_key),
        defaults={
            "template": template,
            "to": to,
            "context": context,
            "language": language,
            "next_attempt_at": timezone.now() + FIRST_FLUSH_AFTER,
        },
    )
    return email


def outbox_claim(email_id: int) -> OutboundEmail | None:
    """Mark the row `sending` for this worker, in one conditional UPDATE; None if it is sent,
    given up, or being sent by another worker (unless that one went stale)."""
    now = timezone.now()
    claimable = Q(status=Status.PENDING) | Q(
        status=Status.SENDING, claimed_at__lte=now - STALE_AFTER
    )
    claimed = OutboundEmail.objects.filter(claimable, pk=email_id).update(
        status=Status.SENDING,
        claimed_at=now,
        next_attempt_at=now + STALE_AFTER,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return OutboundEmail.objects.get(pk=email_id)


def outbox_sent(email: OutboundEmail) -> None:
    """Done: the context (reset and invitation links) is not kept."""
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=Status.SENT, sent_at=timezone.now(), context={}, last_error=""
    )


def error_text(exc: BaseException) -> str:
    """The exception's type and first line, short: SMTP replies name the recipient at most,
    never the message's content."""
    first_line = (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:ERROR_LENGTH]


def outbox_failed(email: OutboundEmail, exc: BaseException, *, retryable: bool) -> str:
    """Record a failed attempt. A retryable one goes back to pending (Celery retries it,
    and the flush after RETRY_AFTER if that does not happen); a permanent one, or one
    failing for longer than GIVE_UP_AFTER, is given up. Returns the new status."""
    now = timezone.now()
    too_long = email.attempts >= GIVE_UP_MIN_ATTEMPTS and email.created_at < now - GIVE_UP_AFTER
    status = Status.PENDING if retryable and not too_long else Status.FAILED
    changes: dict[str, Any] = {
        "status": status,
        "last_error": error_text(exc),
        "next_attempt_at": now + RETRY_AFTER,
    }
    if status == Status.FAILED:
        changes["context"] = {}
        logger.error("email %s (%s) given up: %s", email.pk, email.template, changes["last_error"])
    OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING).update(**changes)
    return status


def outbox_due(now: Any = None) -> Any:
    """Rows the flush should hand to the broker: pending past their next attempt, and
    sending rows whose worker went stale."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        status__in=(Status.PENDING, Status.SENDING), next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")


def outbox_flush(*, limit: int = FLUSH_BATCH) -> int:
    """Hand every due row to the broker again; stops at the first refusal (the broker is
    still down; the next run tries again). Returns how many were handed over."""
    count = 0
    for email in outbox_due()[:limit]:
        if not outbox_publish(email):
            break
        OutboundEmail.objects.filter(pk=email.pk, next_attempt_at=email.next_attempt_at).update(
            next_attempt_at=timezone.now() + REPUBLISH_AFTER
        )
        count += 1
    if count:
        logger.info("outbox: %d email(s) handed to the broker again", count)
    return count


def outbox_prune() -> int:
    """Delete sent rows older than SENT_KEEP and given-up rows older than FAILED_KEEP."""
    now = timezone.now()
    deleted, _by_model = OutboundEmail.objects.filter(
        Q(status=Status.SENT, sent_at__lt=now - SENT_KEEP)
        | Q(status=Status.FAILED, created_at__lt=now - FAILED_KEEP)
    ).delete()
    if deleted:
        logger.info("outbox: %d old email row(s) deleted", deleted)
    return deleted
