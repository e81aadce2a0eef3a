"""The one task that sends transactional email. Runs from public and company schemas alike."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from shared_apps.tenants.dispatch import io_task

logger = logging.getLogger(__name__)

SENT_TTL = 7 * 24 * 3600  # how long a sent key is remembered
SENDING_TTL = 10 * 60  # a worker that dies mid-send frees the key after this


def sent_key(idempotency_key: str) -> str:
    return f"email:sent:{idempotency_key}"


def email_render(*, template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/email/<template>.*` in `language`."""
    with translation.override(language):
        ctx = {**context, "language": language}
        subject = render_to_string(f"email/{template}.subject.txt", ctx)
        text = render_to_string(f"email/{template}.txt", ctx)
        html = render_to_string(f"email/{template}.html", ctx)
    return " ".join(subject.split()), text.strip() + "\n", html


@io_task(name="notifications.send_email")
def send_email(
    template: str, to: str, context: dict[str, Any], language: str, idempotency_key: str
) -> bool:
    """Render and send one message. True if sent now, False if it was already sent.

    Network errors propagate, so io_task retries with backoff; the guard key is released
    first, so the retry sends."""
    cache = caches["default"]  # global, not per company: the key is about the message
    key = sent_key(idempotency_key)
    if not cache.add(key, "sending", timeout=SENDING_TTL):
        logger.info("email %s already sent or being sent; skipped", idempotency_key)
        return False
    try:
        subject, text, html = email_render(template=template, context=context, language=language)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Content-Language": language, "Auto-Submitted": "auto-generated"},
            connection=get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30),
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except BaseException:
        cache.delete(key)
        raise
    cache.set(key, "sent", timeout=SENT_TTL)
    logger.info("email %s (%s, %s) sent", idempotency_key, template, language)
    return True
