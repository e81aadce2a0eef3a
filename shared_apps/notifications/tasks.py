"""The task that sends transactional email, and the outbox's periodic flush and prune.

`send_email` runs from public and company schemas alike (the outbox table is in public,
which every company's search path includes). It sends the `OutboundEmail` row it is given:
claimed in the database, so a duplicated or redelivered task sends once, whatever the cache.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from saas.celery import app
from shared_apps.notifications import outbox
from shared_apps.tenants.dispatch import IO_RETRY_OPTIONS, io_task

logger = logging.getLogger(__name__)

# Publishing a send: one immediate retry, then give up. A broker that refuses connections
# costs a few milliseconds instead of Celery's default ~0.6 s (three retries, 0.2 s apart);
# the outbox flush hands the row over once the broker is back. A broker that accepts the
# connection and then hangs costs the read timeout per attempt (BROKER_SOCKET_TIMEOUT, 3 s:
# about 6 s in all, measured), then the row waits for the flush the same way.
PUBLISH_RETRY_POLICY: dict[str, Any] = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
RETRYABLE = IO_RETRY_OPTIONS["autoretry_for"]


class BriefPublishTask(app.Task):
    """A task whose publishing gives up quickly when the broker is down (it is called from
    web requests after their commit, and the outbox keeps what was not published)."""

    abstract = True

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any:
        options.setdefault("retry", True)
        options.setdefault("retry_policy", PUBLISH_RETRY_POLICY)
        return super().apply_async(args, kwargs, **options)


def email_render(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/email/<template>.*` in `language`.

    The subject and the text part are plain text (their templates turn autoescape off):
    the subject is one line, whatever line breaks a company or record name brings. The HTML
    part escapes every value, the subject too: layout.html shows it in <title> as
    `email_subject`, a variable, never by including the plain-text subject template."""
    with translation.override(language):
        ctx = {**context, "language": language}
        subject = " ".join(render_to_string(f"email/{template}.subject.txt", ctx).split())
        text = render_to_string(f"email/{template}.txt", ctx)
        html = render_to_string(f"email/{template}.html", {**ctx, "email_subject": subject})
    return subject, text.strip() + "\n", html


@io_task(name="notifications.send_email", base=BriefPublishTask, ignore_result=True)
def send_email(
    outbox_id: int | None = None,
    template: str = "",
    to: str = "",
    context: dict[str, Any] | None = None,
    language: str = "",
    idempotency_key: str = "",
) -> bool:
    """Send the outbox row `outbox_id`. True if sent now, False if it was already sent, is
    being sent by another worker, was given up or no longer exists.

    Network and SMTP errors propagate, so io_task retries with backoff; the row is put back
    to pending first, so the retry (or the outbox flush) sends it. The other arguments are
    read only from a message enqueued before the outbox existed (no `outbox_id`)."""
    if outbox_id is None:
        outbox_id = outbox.outbox_adopt(
            template=template,
            to=to,
            context=context or {},
            language=language,
            idempotency_key=idempotency_key,
        ).pk
    email = outbox.outbox_claim(outbox_id)
    if email is None:
        logger.info("email %s already sent, being sent or gone; skipped", outbox_id)
        return False
    try:
        subject, text, html = email_render(
            template=email.template, context=email.context, language=email.language
        )
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
            headers={"Content-Language": email.language, "Auto-Submitted": "auto-generated"},
            connection=get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30),
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except BaseException as exc:
        # Network errors and a worker being stopped are worth another attempt; anything
        # else (a missing template, a bad context) is not.
        retryable = isinstance(exc, RETRYABLE) or not isinstance(exc, Exception)
        outbox.outbox_failed(email, exc, retryable=retryable)
        raise
    outbox.outbox_sent(email)
    logger.info("email %s (%s, %s) sent", email.idempotency_key, email.template, email.language)
    return True


@app.task(name="notifications.outbox_flush")
def outbox_flush() -> int:
    """Periodic (public, every minute): hand pending emails the broker never got, and emails
    whose worker died mid-send, to the broker again."""
    return outbox.outbox_flush()


@app.task(name="notifications.outbox_prune")
def outbox_prune() -> int:
    """Periodic (public, daily): delete sent emails older than a week (and given-up ones
    older than a month)."""
    return outbox.outbox_prune()
