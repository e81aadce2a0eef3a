from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlatformEvent(models.Model):
    """An audit row for every write in the public schema (who did what to which object)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    # Kept as plain values so the row survives the company or object being deleted.
    company_id = models.BigIntegerField(_("company id"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("object type"), max_length=64)
    target_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("platform event")
        verbose_name_plural = _("platform events")

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"
