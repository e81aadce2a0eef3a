"""How the dashboard names audited CRM actions ("crm.deal.stage_moved" → "Deal moved")."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "crm.deal.created": _("Deal created"),
    "crm.deal.updated": _("Deal edited"),
    "crm.deal.stage_moved": _("Deal moved to another stage"),
    "crm.deal.deleted": _("Deal deleted"),
    "crm.deal.restored": _("Deal restored"),
    "crm.organization.created": _("Organization created"),
    "crm.organization.updated": _("Organization edited"),
    "crm.organization.deleted": _("Organization deleted"),
    "crm.organization.restored": _("Organization restored"),
    "crm.contact.created": _("Contact created"),
    "crm.contact.updated": _("Contact edited"),
    "crm.contact.deleted": _("Contact deleted"),
    "crm.contact.restored": _("Contact restored"),
    "crm.activity.created": _("Activity added"),
    "crm.activity.updated": _("Activity edited"),
    "crm.activity.deleted": _("Activity deleted"),
    "crm.note.created": _("Note added"),
    "crm.note.updated": _("Note edited"),
    "crm.note.deleted": _("Note deleted"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else str(_("Change (%(action)s)") % {"action": action})
