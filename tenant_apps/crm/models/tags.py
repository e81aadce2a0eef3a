from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour like #1a2b3c."))


class Tag(CrmModel):
    name = models.CharField(_("name"), max_length=64)
    color = models.CharField(
        _("colour"), max_length=7, default="#6b7280", validators=[color_validator]
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="crm_tag_name_ci_unique",
                violation_error_message=_("A tag with this name already exists."),
            ),
            models.CheckConstraint(
                condition=models.Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="crm_tag_color_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name
