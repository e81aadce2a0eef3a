"""Merge two contacts or two organizations into one.

The survivor keeps its values except the fields the caller chose to take from the other
record; everything attached to the other record moves to the survivor (emails and phones
without repeats, tags, deals, activities, notes; an organization's contacts and deals). The
other record is soft-deleted. Both get a `crm.<type>.merged` audit row naming what moved.
One transaction: a refusal leaves both records as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import (
    Activity,
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    Note,
    Organization,
)
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.services.common import Changes, fields_assign, json_value, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

R = TypeVar("R", bound=RecordModel)

CONTACT_MERGE_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "organization",
    "owner",
    "lifecycle_stage",
    "source",
    "do_not_contact",
)
ORGANIZATION_MERGE_FIELDS = (
    "name",
    "website",
    "domain",
    "phone",
    "email",
    "street",
    "city",
    "postcode",
    "country",
    "industry",
    "size",
    "vat_number",
    "owner",
)


def merge_fields(model: type[RecordModel]) -> tuple[str, ...]:
    return CONTACT_MERGE_FIELDS if model is Contact else ORGANIZATION_MERGE_FIELDS


def differing_fields(a: RecordModel, b: RecordModel) -> list[str]:
    """The fields whose values differ: the ones a person has to choose between."""
    names = merge_fields(type(a))
    return [n for n in names if _raw(a, n) != _raw(b, n)]


def _raw(record: RecordModel, name: str) -> Any:
    field = record._meta.get_field(name)
    return getattr(record, f"{name}_id" if field.many_to_one else name)


def _lock_pair(survivor: R, other: R) -> tuple[R, R]:
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
    return locked_survivor, locked_other


def _take(survivor: R, other: R, take: Iterable[str]) -> Changes:
    allowed = merge_fields(type(survivor))
    values = {}
    for name in take:
        if name not in allowed:
            raise ValidationError(_("This field cannot be merged."), code="field")
        values[name] = getattr(other, name)
    changes = fields_assign(survivor, values, allowed=allowed)
    custom = {**other.custom_fields, **survivor.custom_fields}
    if custom != survivor.custom_fields:
        changes["custom_fields"] = [survivor.custom_fields, custom]
        survivor.custom_fields = custom
    return changes


def _move_linked(*, field: str, survivor: RecordModel, other: RecordModel) -> dict[str, list[int]]:
    moved: dict[str, list[int]] = {}
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
    *, actor: User, survivor: R, other: R, changes: Changes, moved: Mapping[str, list[Any]]
) -> R:
    label = type(survivor)._meta.label_lower
    other.deleted_at = timezone.now()
    other.version += 1
    other.save(update_fields=["deleted_at", "version", "updated_at"])
    survivor.version += 1
    survivor.save()
    survivor_changes: Changes = {"merged_from": [None, other.pk], **changes}
    survivor_changes.update({name: [None, ids] for name, ids in moved.items()})
    record_audit(actor=actor, action=f"{label}.merged", target=survivor, changes=survivor_changes)
    other_changes: Changes = {
        "merged_into": [None, survivor.pk],
        "deleted_at": [None, json_value(other.deleted_at)],
    }
    other_changes.update({name: [ids, None] for name, ids in moved.items()})
    record_audit(actor=actor, action=f"{label}.merged", target=other, changes=other_changes)
    return survivor


@transaction.atomic
def contact_merge(
    *, actor: User, survivor: Contact, other: Contact, take: Iterable[str] = ()
) -> Contact:
    """Merge `other` into `survivor`, taking the fields named in `take` from `other`."""
    crm_access(actor=actor, action="delete")
    survivor, other = _lock_pair(survivor, other)
    changes = _take(survivor, other, take)
    moved: dict[str, list[Any]] = {}

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

    old_phones = [p.number for p in survivor.phones.all()]
    new_phones = [p for p in other.phones.all() if p.number not in old_phones]
    ContactPhone.objects.filter(contact=other).exclude(pk__in=[p.pk for p in new_phones]).delete()
    ContactPhone.objects.filter(pk__in=[p.pk for p in new_phones]).update(contact=survivor)
    if new_phones:
        changes["phones"] = [old_phones, old_phones + [p.number for p in new_phones]]

    tags = _move_tags(survivor, other)
    if tags:
        moved["tags"] = tags
    through = Deal.contacts.through
    deal_ids = sorted(through.objects.filter(contact=other).values_list("deal_id", flat=True))
    if deal_ids:
        already = set(through.objects.filter(contact=survivor).values_list("deal_id", flat=True))
        through.objects.filter(contact=other, deal_id__in=already).delete()
        through.objects.filter(contact=other).update(contact=survivor)
        moved["deals"] = deal_ids
    moved.update(_move_linked(field="contact", survivor=survivor, other=other))
    survivor.search_refresh()
    return _finish(actor=actor, survivor=survivor, other=other, changes=changes, moved=moved)


@transaction.atomic
def organization_merge(
    *, actor: User, survivor: Organization, other: Organization, take: Iterable[str] = ()
) -> Organization:
    """Merge `other` into `survivor`, taking the fields named in `take` from `other`."""
    crm_access(actor=actor, action="delete")
    survivor, other = _lock_pair(survivor, other)
    changes = _take(survivor, other, take)
    moved: dict[str, list[Any]] = {}
    tags = _move_tags(survivor, other)
    if tags:
        moved["tags"] = tags
    for name, rows in (
        ("contacts", Contact.objects.filter(organization=other)),
        ("deals", Deal.objects.filter(organization=other)),
    ):
        ids = sorted(rows.values_list("pk", flat=True))
        if ids:
            rows.update(organization=survivor)
            moved[name] = ids
    moved.update(_move_linked(field="organization", survivor=survivor, other=other))
    return _finish(actor=actor, survivor=survivor, other=other, changes=changes, moved=moved)
