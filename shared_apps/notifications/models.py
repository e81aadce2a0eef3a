"""The transactional-email outbox (public schema).

`email_enqueue` writes one `OutboundEmail` in the caller's transaction, so a message exists
if and only if the write that asked for it committed; the Celery task is only a wake-up
call. A message the broker never received (it was down at commit) or a worker lost
mid-send is found again by the periodic `notifications.outbox_flush`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        # waiting to be sent: new, or an attempt failed and it will be tried again
        PENDING = "pending", _("Pending")
        # a worker claimed it; if that worker dies it becomes claimable again after a while
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # given up: an error that a retry cannot fix, or failing for too long
        FAILED = "failed", _("Failed")

    template = models.CharField(_("template"), max_length=100)
    to = models.EmailField(_("recipient"), max_length=254)
    # Emptied once sent: it can hold password-reset and invitation links.
    context = models.JSONField(_("context"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # when the periodic flush may next hand it to the broker again
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # the exception's type and a short message; never the context
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_outbox_due"),
            models.Index(fields=["status", "sent_at"], name="notif_outbox_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.to} ({self.status})"
