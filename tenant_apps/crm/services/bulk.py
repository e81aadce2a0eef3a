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
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Organization, Tag
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.services.common import Changes, fields_assign, json_value, owner_check
from tenant_apps.history.models import AuditEvent
from tenant_apps.history.services import audit_records

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
    changed: list[tuple[RecordModel, Changes]] = []
    for record in _locked(model, ids):
        diff = fields_assign(record, {"owner": owner}, allowed=["owner"])
        if diff:
            changed.append((record, diff))
    # One UPDATE and one INSERT, whatever the number of rows; the search text is unchanged.
    if changed:
        model._default_manager.filter(pk__in=[r.pk for r, _diff in changed]).update(
            owner=owner, version=F("version") + 1, updated_at=timezone.now()
        )
    action = f"crm.{_label(model)}.updated"
    audit_records(actor=actor, entries=[(action, r, diff) for r, diff in changed])
    return len(changed)


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
    action = f"crm.{_label(model)}.tag_added"
    audit_records(actor=actor, entries=[(action, r, {"tags": [None, tag.name]}) for r in new])
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
    action = f"crm.{_label(model)}.tag_removed"
    audit_records(
        actor=actor,
        entries=[(action, r, {"tags": [tag.name, None]}) for r in records if r.pk in had],
    )
    return len(had)


@transaction.atomic
def bulk_delete(*, model: type[RecordModel], ids: Sequence[int], actor: User) -> int:
    """Soft delete (restorable for 30 days, like a single delete)."""
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    records = _locked(model, ids)  # live and locked: each one is deleted now
    now = timezone.now()
    model._default_manager.filter(pk__in=[r.pk for r in records]).update(
        deleted_at=now, version=F("version") + 1, updated_at=now
    )
    action = f"crm.{_label(model)}.deleted"
    changes = {"deleted_at": [None, json_value(now)]}
    audit_records(actor=actor, entries=[(action, r, changes) for r in records])
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
