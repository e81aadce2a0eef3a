"""A merge's audit row in words, for the timeline: "Merged Ann Lee into this record: moved
97 activities, 3 deals." and one line per value the merge did not keep.

The row's `merge` entry is written by `services.merge`; rows written before it existed kept
`merged_from` / `merged_into` ids and the moved ids as old → new pairs, and read the same.
Sentences are built when shown, so they follow the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shared_apps.accounts.models import User
from tenant_apps.crm.models import Organization

MOVED = ("activities", "meetings", "notes", "deals", "contacts", "tags")
_LEGACY_WITH = ("merged_from", "merged_into")
# Values in a merge's dropped fields that are ids of other rows.
_DROPPED_REFERENCES: dict[str, type[Model]] = {"owner": User, "organization": Organization}


@dataclass(frozen=True)
class MergeRow:
    role: str  # "survivor" or "merged"
    with_id: int | None
    with_name: str | None  # None: look the name up by id
    moved: dict[str, int]
    dropped: dict[str, list[Any]]


def merge_row(changes: dict[str, Any]) -> tuple[MergeRow, dict[str, Any]]:
    """The merge described by an audit row, and the row's other changes (old → new pairs)."""
    entry = changes.get("merge")
    rest = {k: v for k, v in changes.items() if k != "merge"}
    if isinstance(entry, dict):
        other = entry.get("with") or {}
        moved = {k: len(v) for k, v in (entry.get("moved") or {}).items() if k in MOVED}
        return (
            MergeRow(
                role=str(entry.get("role", "survivor")),
                with_id=other.get("id"),
                with_name=str(other.get("name", "")),
                moved=moved,
                dropped=dict(entry.get("dropped") or {}),
            ),
            rest,
        )
    pair = rest.pop("merged_from", None) or rest.pop("merged_into", None)
    role = "survivor" if "merged_from" in changes else "merged"
    with_id = pair[1] if isinstance(pair, list) and len(pair) == 2 else None
    moved = {}
    for name in MOVED:
        value = rest.get(name)
        if isinstance(value, list) and len(value) == 2 and (value[0] is None or value[1] is None):
            ids = value[1] if value[1] is not None else value[0]
            if isinstance(ids, list):
                moved[name] = len(ids)
                rest.pop(name)
    return MergeRow(role, with_id if isinstance(with_id, int) else None, None, moved, {}), rest


def merge_references(changes: dict[str, Any], model: type[Model]) -> dict[type[Model], set[int]]:
    """The ids whose names a merge row shows: the dropped owners and organizations, and the
    other record of an old row that did not keep its name."""
    row, _rest = merge_row(changes)
    wanted: dict[type[Model], set[int]] = {}
    if row.with_name is None and row.with_id is not None:
        wanted.setdefault(model, set()).add(row.with_id)
    for name, pair in row.dropped.items():
        reference = _DROPPED_REFERENCES.get(name)
        if reference is not None and isinstance(pair, list):
            wanted.setdefault(reference, set()).update(v for v in pair if isinstance(v, int))
    return wanted


def _moved_words(moved: dict[str, int]) -> str:
    words = {
        "activities": lambda n: ngettext("%(count)s activity", "%(count)s activities", n),
        "meetings": lambda n: ngettext(
            "%(count)s meeting attended", "%(count)s meetings attended", n
        ),
        "notes": lambda n: ngettext("%(count)s note", "%(count)s notes", n),
        "deals": lambda n: ngettext("%(count)s deal", "%(count)s deals", n),
        "contacts": lambda n: ngettext("%(count)s contact", "%(count)s contacts", n),
        "tags": lambda n: ngettext("%(count)s tag", "%(count)s tags", n),
    }
    return ", ".join(
        words[name](moved[name]) % {"count": moved[name]} for name in MOVED if moved.get(name)
    )


def merge_lines(
    row: MergeRow,
    *,
    name_of: Callable[[int | None], str],
    label: Callable[[str], str],
    show: Callable[[str, Any], str],
) -> list[str]:
    """The sentences of one merge row: what merged with what and moved, then each value that
    was not kept."""
    name = row.with_name or name_of(row.with_id)
    moved = _moved_words(row.moved)
    if row.role == "survivor":
        if moved:
            first = _("Merged %(name)s into this record: moved %(moved)s.")
        else:
            first = _("Merged %(name)s into this record.")
    elif moved:
        first = _("Merged into %(name)s: moved %(moved)s.")
    else:
        first = _("Merged into %(name)s.")
    lines = [first % {"name": name, "moved": moved}]
    for field, pair in row.dropped.items():
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        lines.append(
            _("Not kept: %(field)s “%(value)s” (kept “%(kept)s”).")
            % {"field": label(field), "value": show(field, pair[0]), "kept": show(field, pair[1])}
        )
    return lines
