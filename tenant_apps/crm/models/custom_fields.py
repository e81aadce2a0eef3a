from __future__ import annotations

from django.core.validators import validate_slug
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel, one_of


class CustomFieldEntity(models.TextChoices):
    ORGANIZATION = "organization", _("Organization")
    CONTACT = "contact", _("Contact")
    DEAL = "deal", _("Deal")


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTI = "multi", _("Multiple choice")
    BOOL = "bool", _("Checkbox")
    URL = "url", _("Link")


class CustomField(CrmModel):
    """A custom field definition. Values live in each record's `custom_fields` JSON, keyed by
    `key`, and the services validate them against these definitions."""

    Entity = CustomFieldEntity
    Type = CustomFieldType

    entity = models.CharField(_("object type"), max_length=16, choices=CustomFieldEntity.choices)
    key = models.CharField(_("key"), max_length=50, validators=[validate_slug])
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=8, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["entity", "position", "id"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "key"],
                name="crm_custom_field_key_unique",
                violation_error_message=_("This object type already has a field with this key."),
            ),
            one_of("entity", CustomFieldEntity.values, "crm_custom_field_entity_valid"),
            one_of("type", CustomFieldType.values, "crm_custom_field_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.entity}.{self.key}"
