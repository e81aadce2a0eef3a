"""The company's list of reasons deals are lost (CRM settings, owners and admins).

A reason that deals already use is archived instead of deleted: it is no longer offered,
and the dashboard's "lost deals by reason" keeps counting those deals under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import LostReason
from tenant_apps.crm.services.common import fields_assign, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

# Stored translated into the company's language at provisioning: data the company edits.
DEFAULT_LOST_REASONS = (
    gettext_noop("Price"),
    gettext_noop("Went with a competitor"),
    gettext_noop("No budget"),
    gettext_noop("No decision"),
    gettext_noop("Timing"),
    gettext_noop("Other"),
)


def lost_reasons_seed(*, language: str) -> None:
    """The default list, in `language`, for a company that has none. No actor: part of
    provisioning (which is audited as a platform event)."""
    if LostReason.objects.exists():
        return
    with translation.override(language):
        LostReason.objects.bulk_create(
            LostReason(name=_(name), position=position)
            for position, name in enumerate(DEFAULT_LOST_REASONS, start=1)
        )


def _name(name: str) -> str:
    return " ".join(name.split())


@transaction.atomic
def lost_reason_create(*, actor: User, name: str) -> LostReason:
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    last = LostReason.objects.aggregate(last=Max("position"))["last"] or 0
    reason = LostReason(name=_name(name), position=last + 1)
    full_clean(reason)
    reason.save()
    record_audit(
        actor=actor,
        action="crm.lost_reason.created",
        target=reason,
        changes={"name": [None, reason.name]},
    )
    return reason


@transaction.atomic
def lost_reason_update(*, reason: LostReason, actor: User, name: str) -> LostReason:
    """Rename a reason (deals that use it show the new name)."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = LostReason.objects.select_for_update().get(pk=reason.pk)
    diff = fields_assign(current, {"name": _name(name)}, allowed=["name"])
    full_clean(current)
    if diff:
        current.save()
        record_audit(actor=actor, action="crm.lost_reason.updated", target=current, changes=diff)
    return current


@transaction.atomic
def lost_reason_delete(*, reason: LostReason, actor: User) -> bool:
    """Delete an unused reason, archive one that deals use. True when it was deleted."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = LostReason.objects.select_for_update().get(pk=reason.pk)
    if current.deals.exists():
        if not current.archived:
            current.archived = True
            current.save(update_fields=["archived", "updated_at"])
            record_audit(
                actor=actor,
                action="crm.lost_reason.archived",
                target=current,
                changes={"archived": [False, True]},
            )
        return False
    record_audit(
        actor=actor,
        action="crm.lost_reason.deleted",
        target=current,
        changes={"name": [current.name, None]},
    )
    current.delete()
    return True


@transaction.atomic
def lost_reason_restore(*, reason: LostReason, actor: User) -> LostReason:
    """Offer an archived reason again."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = LostReason.objects.select_for_update().get(pk=reason.pk)
    if current.archived:
        current.archived = False
        current.save(update_fields=["archived", "updated_at"])
        record_audit(
            actor=actor,
            action="crm.lost_reason.restored",
            target=current,
            changes={"archived": [True, False]},
        )
    return current
