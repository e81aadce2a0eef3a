"""Merge two contacts or two organizations into one.

The survivor keeps its values except the fields the caller chose to take from the other
record (`take`, custom fields included; see `crm.merge_plan` for the defaults and names);
everything attached to the other record moves to the survivor (emails and phones without
repeats, tags, deals, activities, notes; an organization's contacts and deals). The other
record is soft-deleted. One transaction: a refusal leaves both records as they were.

Both records get a `crm.<type>.merged` audit row. Field changes of the survivor are ordinary
old → new pairs; the merge itself is one `merge` entry that the timeline puts in words:
`{"role": "survivor" | "merged", "with": {"id", "name"}, "moved": {"activities": [ids],
"notes": [ids], "deals": [ids], "contacts": [ids], "tags": [names]}, "dropped": {field:
[dropped value, kept value]}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.contact_points import contact_points_refresh
from tenant_apps.crm.merge_plan import CUSTOM, default_take, dropped_values, merge_fields
from tenant_apps.crm.models import (
    Activity,
    ActivityParticipant,
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    Note,
    Organization,
)
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.services.common import Changes, fields_assign, json_value
from tenant_apps.history.services import audit_record

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

R = TypeVar("R", bound=RecordModel)
T = TypeVar("T", Contact, Organization)


def _lock_pair(survivor: R, other: R, expected_versions: tuple[int, int] | None) -> tuple[R, R]:
    if type(survivor) is not type(other):
        raise ValidationError(_("Only records of the same type can be merged."), code="type")
    if survivor.pk == other.pk:
        raise ValidationError(_("A record cannot be merged with itself."), code="self")
    model = type(survivor)
    rows = {
        r.pk: r
        for r in model._default_manager.select_for_update()
        .filter(pk__in=[survivor.pk, other.pk])
        .order_by("pk")
    }
    if len(rows) != 2:
        raise ValidationError(_("This record has been deleted."), code="deleted")
    locked_survivor, locked_other = rows[survivor.pk], rows[other.pk]
    if locked_survivor.deleted_at is not None or locked_other.deleted_at is not None:
        raise ValidationError(_("A deleted record cannot be merged."), code="deleted")
    if expected_versions is not None and expected_versions != (
        locked_survivor.version,
        locked_other.version,
    ):
        raise ValidationError(
            _("One of the records was changed after you opened this page. Check the values again."),
            code="stale",
        )
    return locked_survivor, locked_other


def _take(
    survivor: R, other: R, take: Iterable[str] | None
) -> tuple[Changes, dict[str, list[Any]]]:
    """Apply the chosen values; returns the survivor's changes and the dropped values."""
    take = default_take(survivor, other) if take is None else list(take)
    allowed = merge_fields(type(survivor))
    keys = {*(survivor.custom_fields or {}), *(other.custom_fields or {})}
    for name in take:
        if name not in allowed and name.removeprefix(CUSTOM) not in keys:
            raise ValidationError(_("This field cannot be merged."), code="field")
    dropped = {
        d.name: [json_value(d.dropped), json_value(d.kept)]
        for d in dropped_values(survivor, other, take)
    }
    values = {n: getattr(other, n) for n in take if n in allowed}
    changes = fields_assign(survivor, values, allowed=allowed)
    mine = dict(survivor.custom_fields or {})
    theirs = other.custom_fields or {}
    custom = dict(mine)
    for name in take:
        key = name.removeprefix(CUSTOM)
        if name.startswith(CUSTOM):
            if key in theirs:
                custom[key] = theirs[key]
            else:
                custom.pop(key, None)
    if custom != mine:
        changes["custom_fields"] = [mine, custom]
        survivor.custom_fields = custom
    return changes, dropped


def _move_linked(*, field: str, survivor: RecordModel, other: RecordModel) -> dict[str, list[Any]]:
    moved: dict[str, list[Any]] = {}
    for label, model in (("activities", Activity), ("notes", Note)):
        rows = model.objects.filter(**{field: other})
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**{field: survivor})
            moved[label] = ids
    return moved


def _move_tags(survivor: Contact | Organization, other: Contact | Organization) -> list[str]:
    theirs = list(other.tags.all())
    mine = set(survivor.tags.values_list("pk", flat=True))
    new = [t for t in theirs if t.pk not in mine]
    if new:
        survivor.tags.add(*new)
    other.tags.clear()
    return sorted(t.name for t in new)


def _finish(
    *,
    actor: User,
    survivor: R,
    other: R,
    changes: Changes,
    moved: Mapping[str, list[Any]],
    dropped: Mapping[str, list[Any]],
) -> R:
    label = type(survivor)._meta.label_lower
    other.deleted_at = timezone.now()
    other.version += 1
    # its emails and phones may have moved: its search text is recomputed
    other.save(update_fields=["deleted_at", "version", "updated_at", "search_text"])
    survivor.version += 1
    survivor.save()
    audit_record(
        actor=actor,
        action=f"{label}.merged",
        target=survivor,
        changes={
            **changes,
            "merge": {
                "role": "survivor",
                "with": {"id": other.pk, "name": str(other)},
                "moved": dict(moved),
                "dropped": dict(dropped),
            },
        },
    )
    audit_record(
        actor=actor,
        action=f"{label}.merged",
        target=other,
        changes={
            "deleted_at": [None, json_value(other.deleted_at)],
            "merge": {
                "role": "merged",
                "with": {"id": survivor.pk, "name": str(survivor)},
                "moved": dict(moved),
                "dropped": dict(dropped),
            },
        },
    )
    return survivor


def _move_contact_details(survivor: Contact, other: Contact, changes: Changes) -> None:
    """Emails and phones the survivor lacks move over; a phone both have keeps a label."""
    old_emails = [e.email for e in survivor.emails.all()]
    known = {e.lower() for e in old_emails}
    extra = [e for e in other.emails.all() if e.email.lower() not in known]
    ContactEmail.objects.filter(contact=other).exclude(pk__in=[e.pk for e in extra]).delete()
    for email in extra:
        email.contact = survivor
        email.is_primary = email.is_primary and not old_emails
        email.save(update_fields=["contact", "is_primary", "updated_at"])
    if extra:
        changes["emails"] = [old_emails, old_emails + [e.email for e in extra]]

    mine = {p.number: p for p in survivor.phones.all()}
    theirs = list(other.phones.all())
    for phone in theirs:
        same = mine.get(phone.number)
        if same is not None and not same.label and phone.label:
            same.label = phone.label
            same.save(update_fields=["label", "updated_at"])
    new_phones = [p for p in theirs if p.number not in mine]
    ContactPhone.objects.filter(contact=other).exclude(pk__in=[p.pk for p in new_phones]).delete()
    ContactPhone.objects.filter(pk__in=[p.pk for p in new_phones]).update(contact=survivor)
    if new_phones:
        old_phones = list(mine)
        changes["phones"] = [old_phones, old_phones + [p.number for p in new_phones]]
    # before `_finish` saves both: the survivor's copies may change, the other's go to NULL
    contact_points_refresh(survivor, other)


def _move_contact_records(
    survivor: Contact, other: Contact, changes: Changes
) -> dict[str, list[Any]]:
    """A contact's own steps: emails and phones, then its deals."""
    _move_contact_details(survivor, other, changes)
    moved: dict[str, list[Any]] = {}
    through = Deal.contacts.through
    deal_ids = sorted(through.objects.filter(contact=other).values_list("deal_id", flat=True))
    if deal_ids:
        already = set(through.objects.filter(contact=survivor).values_list("deal_id", flat=True))
        through.objects.filter(contact=other, deal_id__in=already).delete()
        through.objects.filter(contact=other).update(contact=survivor)
        moved["deals"] = deal_ids
    # Meetings the other contact took part in: the survivor takes its place (once per
    # meeting), or the rows would go with the merged-away contact when the bin is purged.
    taken = ActivityParticipant.objects.filter(contact=other)
    meeting_ids = sorted(taken.values_list("activity_id", flat=True))
    if meeting_ids:
        mine = ActivityParticipant.objects.filter(contact=survivor, activity_id__in=meeting_ids)
        taken.filter(activity_id__in=mine.values("activity_id")).delete()
        taken.update(contact=survivor)
        moved["meetings"] = meeting_ids
    return moved


def _move_organization_records(
    survivor: Organization, other: Organization, _changes: Changes
) -> dict[str, list[Any]]:
    """An organization's own steps: its contacts and deals."""
    moved: dict[str, list[Any]] = {}
    for name, rows in (
        ("contacts", Contact.objects.filter(organization=other)),
        ("deals", Deal.objects.filter(organization=other)),
    ):
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            rows.update(organization=survivor)
            moved[name] = ids
    return moved


def _merge(
    *,
    actor: User,
    survivor: T,
    other: T,
    take: Iterable[str] | None,
    expected_versions: tuple[int, int] | None,
    field: str,
    move_own: Callable[[T, T, Changes], dict[str, list[Any]]],
) -> T:
    """The steps both merges share; `move_own` moves what only this kind of record has (it
    may add to the survivor's changes), `field` names the link of activities and notes."""
    crm_access(actor=actor, action=Action.RECORD_MERGE)
    survivor, other = _lock_pair(survivor, other, expected_versions)
    changes, dropped = _take(survivor, other, take)
    moved: dict[str, list[Any]] = {}
    tags = _move_tags(survivor, other)
    if tags:
        moved["tags"] = tags
    moved.update(move_own(survivor, other, changes))
    moved.update(_move_linked(field=field, survivor=survivor, other=other))
    return _finish(
        actor=actor, survivor=survivor, other=other, changes=changes, moved=moved, dropped=dropped
    )


@transaction.atomic
def contact_merge(
    *,
    actor: User,
    survivor: Contact,
    other: Contact,
    take: Iterable[str] | None = None,
    expected_versions: tuple[int, int] | None = None,
) -> Contact:
    """Merge `other` into `survivor`, taking the fields named in `take` from `other` (by
    default those only `other` has a value for); the survivor's other values stay and
    `other`'s are dropped (listed in the audit row). `expected_versions` (survivor's,
    other's) refuses a merge chosen on stale values."""
    return _merge(
        actor=actor,
        survivor=survivor,
        other=other,
        take=take,
        expected_versions=expected_versions,
        field="contact",
        move_own=_move_contact_records,
    )


@transaction.atomic
def organization_merge(
    *,
    actor: User,
    survivor: Organization,
    other: Organization,
    take: Iterable[str] | None = None,
    expected_versions: tuple[int, int] | None = None,
) -> Organization:
    """Merge organization `other` into `survivor`, as `contact_merge` does for contacts."""
    return _merge(
        actor=actor,
        survivor=survivor,
        other=other,
        take=take,
        expected_versions=expected_versions,
        field="organization",
        move_own=_move_organization_records,
    )
