from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel, one_of, user_reference


class SavedViewEntity(models.TextChoices):
    ORGANIZATION = "organization", _("Organizations")
    CONTACT = "contact", _("Contacts")
    DEAL = "deal", _("Deals")
    ACTIVITY = "activity", _("Activities")


class SavedView(CrmModel):
    """A named list view: filters, sort and visible columns (`query`, as the list's query
    string parameters), private to its owner or shared with the company."""

    Entity = SavedViewEntity

    entity = models.CharField(_("list"), max_length=16, choices=SavedViewEntity.choices)
    name = models.CharField(_("name"), max_length=100)
    owner = user_reference(_("owner"))
    shared = models.BooleanField(_("shared with the company"), default=False)
    query = models.JSONField(_("filters, sort and columns"), default=dict, blank=True)

    class Meta:
        ordering = ["entity", "name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            one_of("entity", SavedViewEntity.values, "crm_saved_view_entity_valid"),
            models.UniqueConstraint(
                "owner",
                "entity",
                Lower("name"),
                name="crm_saved_view_name_unique",
                violation_error_message=_("You already have a view with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
