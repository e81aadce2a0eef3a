"""What merging two records keeps and what it drops, decided before anything is written.

- The record that stays by default is the more complete one: more non-empty fields (the
  merge fields below and custom field values; `False` counts as empty), then the older one
  (`created_at`, then id).
- For each field the default is the non-empty value: the kept record's when both are set.
- `dropped_values` lists every non-empty value a choice leaves behind, for the confirmation
  page and the merge's audit row. Email addresses, phone numbers, tags and everything
  attached are united, never dropped.

Fields are named as on the model; a custom field is named `custom_fields.<key>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from tenant_apps.crm.models import Contact
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.record_fields import CONTACT_FIELDS, ORGANIZATION_FIELDS

R = TypeVar("R", bound=RecordModel)

CUSTOM = "custom_fields."
# The fields the services write, less the custom ones (offered one by one, CUSTOM + key).
CONTACT_MERGE_FIELDS = tuple(f for f in CONTACT_FIELDS if f != "custom_fields")
ORGANIZATION_MERGE_FIELDS = tuple(f for f in ORGANIZATION_FIELDS if f != "custom_fields")


def merge_fields(model: type[RecordModel]) -> tuple[str, ...]:
    return CONTACT_MERGE_FIELDS if model is Contact else ORGANIZATION_MERGE_FIELDS


def is_empty(value: Any) -> bool:
    return value is None or value is False or value in ("", [], {})


def raw(record: RecordModel, name: str) -> Any:
    """The stored value of `name`: a foreign key's id, a custom field's value or None."""
    if name.startswith(CUSTOM):
        return (record.custom_fields or {}).get(name.removeprefix(CUSTOM))
    field = record._meta.get_field(name)
    return getattr(record, f"{name}_id" if field.many_to_one else name)


def choice_fields(a: RecordModel, b: RecordModel) -> list[str]:
    """The fields whose values differ, in form order: the ones a person chooses between."""
    keys = sorted({*(a.custom_fields or {}), *(b.custom_fields or {})})
    names = [*merge_fields(type(a)), *(CUSTOM + k for k in keys)]
    return [
        n
        for n in names
        if raw(a, n) != raw(b, n) and not (is_empty(raw(a, n)) and is_empty(raw(b, n)))
    ]


def completeness(record: RecordModel) -> int:
    """How many fields hold a value."""
    plain = sum(not is_empty(raw(record, n)) for n in merge_fields(type(record)))
    return plain + sum(not is_empty(v) for v in (record.custom_fields or {}).values())


def survivor_first(a: R, b: R) -> tuple[R, R]:
    """(the record that stays by default, the one merged into it)."""
    first, second = sorted((a, b), key=lambda r: (-completeness(r), r.created_at, r.pk))
    return first, second


def default_take(survivor: RecordModel, other: RecordModel) -> list[str]:
    """The fields to take from `other` by default: where only `other` has a value."""
    return [
        n
        for n in choice_fields(survivor, other)
        if is_empty(raw(survivor, n)) and not is_empty(raw(other, n))
    ]


@dataclass(frozen=True)
class Dropped:
    name: str
    from_survivor: bool  # whose value is dropped
    dropped: Any
    kept: Any


def dropped_values(survivor: RecordModel, other: RecordModel, take: Iterable[str]) -> list[Dropped]:
    """Every non-empty value that is lost when `survivor` keeps its values except `take`."""
    taken = set(take)
    found = []
    for name in choice_fields(survivor, other):
        mine, theirs = raw(survivor, name), raw(other, name)
        lost, kept = (mine, theirs) if name in taken else (theirs, mine)
        if not is_empty(lost):
            found.append(Dropped(name, name in taken, lost, kept))
    return found
