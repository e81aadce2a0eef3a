from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import user_reference


class ChecklistDismissal(models.Model):
    """A person hid the dashboard's first-steps checklist in this company."""

    user = user_reference(_("user"))
    created_at = models.DateTimeField(_("dismissed"), auto_now_add=True)

    class Meta:
        verbose_name = _("dismissed checklist")
        verbose_name_plural = _("dismissed checklists")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="workspace_checklist_dismissal_user_uq")
        ]

    def __str__(self) -> str:
        return f"checklist dismissed by {self.user_id}"
