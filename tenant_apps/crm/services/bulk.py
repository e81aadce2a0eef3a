"""Bulk actions on the rows selected in a list: assign an owner, add or remove a tag, delete.

Each checks the actor's role once, locks the chosen records, and either changes every one of
them (one audit row per record) or none: a record that is gone, deleted or not of this
company refuses the whole action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Organization, Tag
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.services.common import fields_assign, owner_check, record_audit, soft_delete
from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

Taggable = type[Organization] | type[Contact]


def _locked(model: type[RecordModel], ids: Sequence[int]) -> list[Any]:
    """The live records `ids`, locked, in id order; refused unless every one exists."""
    wanted = set(ids)
    if not wanted:
        raise ValidationError({"ids": _("Select at least one row.")}, code="empty")
    records = list(
        model._default_manager.select_for_update()
        .filter(pk__in=wanted, deleted_at__isnull=True)
        .order_by("pk")
    )
    if len(records) != len(wanted):
        raise ValidationError(
            {"ids": _("Some of the selected rows no longer exist. Reload the list and retry.")},
            code="missing",
        )
    return records


def _label(model: type[Model]) -> str:
    return str(model._meta.model_name)


@transaction.atomic
def bulk_owner_assign(
    *, model: type[RecordModel], ids: Sequence[int], owner: User | None, actor: User
) -> int:
    """Give every selected record `owner` (None: no owner). Returns how many changed."""
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    owner_check({"owner": owner})
    changed = 0
    for record in _locked(model, ids):
        diff = fields_assign(record, {"owner": owner}, allowed=["owner"])
        if not diff:
            continue
        record.version += 1
        record.save(update_fields=["owner", "version", "updated_at"])
        record_audit(
            actor=actor, action=f"crm.{_label(model)}.updated", target=record, changes=diff
        )
        changed += 1
    return changed


def _tag_check(model: type[RecordModel], tag: Tag) -> None:
    if model not in (Organization, Contact):
        raise ValidationError({"tag": _("These records have no tags.")}, code="no_tags")
    if not Tag.objects.filter(pk=tag.pk).exists():
        raise ValidationError({"tag": _("This tag does not exist.")}, code="tag_missing")


@transaction.atomic
def bulk_tag_add(*, model: type[RecordModel], ids: Sequence[int], tag: Tag, actor: User) -> int:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    _tag_check(model, tag)
    records = _locked(model, ids)
    through = model.tags.through  # type: ignore[attr-defined]
    own = f"{_label(model)}_id"
    have = set(
        through.objects.filter(
            tag_id=tag.pk, **{f"{own}__in": [r.pk for r in records]}
        ).values_list(own, flat=True)
    )
    new = [r for r in records if r.pk not in have]
    through.objects.bulk_create([through(tag_id=tag.pk, **{own: r.pk}) for r in new])
    for record in new:
        record_audit(
            actor=actor,
            action=f"crm.{_label(model)}.tag_added",
            target=record,
            changes={"tags": [None, tag.name]},
        )
    return len(new)


@transaction.atomic
def bulk_tag_remove(*, model: type[RecordModel], ids: Sequence[int], tag: Tag, actor: User) -> int:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    _tag_check(model, tag)
    records = _locked(model, ids)
    through = model.tags.through  # type: ignore[attr-defined]
    own = f"{_label(model)}_id"
    links = through.objects.filter(tag_id=tag.pk, **{f"{own}__in": [r.pk for r in records]})
    had = set(links.values_list(own, flat=True))
    links.delete()
    for record in records:
        if record.pk in had:
            record_audit(
                actor=actor,
                action=f"crm.{_label(model)}.tag_removed",
                target=record,
                changes={"tags": [tag.name, None]},
            )
    return len(had)


@transaction.atomic
def bulk_delete(*, model: type[RecordModel], ids: Sequence[int], actor: User) -> int:
    """Soft delete (restorable for 30 days, like a single delete)."""
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    records = _locked(model, ids)
    for record in records:
        soft_delete(instance=record, actor=actor, action=f"crm.{_label(model)}.deleted")
    return len(records)


@transaction.atomic
def export_record(*, actor: User, model: type[Model], query: str) -> None:
    """Log an export (a bulk read of company data): who, which list, which filters."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    AuditEvent.objects.create(
        actor=actor,
        action="crm.export",
        object_type=model._meta.label_lower,
        object_id="",
        changes={"query": [None, query]},
    )


BULK_MODELS: dict[str, type[RecordModel]] = {
    "organization": Organization,
    "contact": Contact,
    "deal": Deal,
}
