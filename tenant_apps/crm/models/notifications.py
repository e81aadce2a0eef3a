from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.activities import Activity
from tenant_apps.crm.models.base import CrmModel, user_reference


class Notification(CrmModel):
    """An in-app notification for one member, e.g. a task that has come due."""

    recipient = user_reference(_("recipient"))
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=300)
    url = models.CharField(_("link"), max_length=300, blank=True)
    activity = models.ForeignKey(
        Activity,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("activity"),
    )
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # one notification per reminder: a retried reminder task cannot notify twice
            models.UniqueConstraint(
                fields=["recipient", "kind", "activity"],
                condition=models.Q(activity__isnull=False),
                name="crm_notification_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="crm_notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                name="crm_notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title
