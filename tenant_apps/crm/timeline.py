"""One timeline per record: activities, notes, field changes and stage moves, newest first.

A page costs a fixed number of queries whatever the number of rows: one UNION picks the
page's (kind, id) pairs, then one query per kind, one for the people involved and one per
kind of referenced record named in the changes (owners, stages, organizations…).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, DecimalField, F, Model, Value
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from shared_apps.accounts.models import User
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.merge_history import merge_lines, merge_references, merge_row
from tenant_apps.crm.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    Contact,
    CustomField,
    Note,
    Organization,
    Pipeline,
    Stage,
)
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.money import amount_format
from tenant_apps.crm.sanitize import note_html
from tenant_apps.history.models import AuditEvent
from tenant_apps.history.services import blank_pair

if TYPE_CHECKING:
    from django.utils.safestring import SafeString

PER_PAGE = 20

# Values in audit rows that are ids of other rows, and where their names come from.
_REFERENCES: dict[str, type[Model]] = {
    "owner": User,
    "assignee": User,
    "stage": Stage,
    "pipeline": Pipeline,
    "organization": Organization,
    "contacts": Contact,
}
# The record models whose merges the timeline puts in words (see crm.merge_history).
_MERGED: dict[str, type[Model]] = {"crm.contact": Contact, "crm.organization": Organization}
_HIDDEN = frozenset({"stage_changed_at", "search_text", "version", "updated_at"})


def _extra_labels() -> dict[str, str]:
    return {
        "emails": _("Email addresses"),
        "phones": _("Phone numbers"),
        "contacts": _("Contacts"),
        "tags": _("Tags"),
        "merged_from": _("Merged from"),
        "merged_into": _("Merged into"),
        "activities": _("Activities"),
        "notes": _("Notes"),
        "deals": _("Deals"),
    }


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    kind: str  # "activity", "note", "change" or "stage"
    at: datetime.datetime
    actor: str = ""
    activity: Activity | None = None
    assignee: str = ""
    note: Note | None = None
    note_html: SafeString | None = None
    action: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)  # a meeting's, by name
    author_id: int | None = None  # who created the activity (members delete only theirs)
    summary: list[str] = field(default_factory=list)  # sentences, e.g. what a merge moved


@dataclass
class TimelinePage:
    pinned: list[Entry]
    entries: list[Entry]
    page: int
    has_next: bool
    show: str = ""  # one of `SHOW` ("" for everything)


def _link(record: RecordModel) -> dict[str, Any]:
    return {str(type(record)._meta.model_name): record}


def timeline_filters() -> list[tuple[str, str]]:
    """What the timeline can be narrowed to (`?show=call`), with labels."""
    return [
        ("", _("Everything")),
        (ActivityKind.TASK, _("Tasks")),
        (ActivityKind.CALL, _("Calls")),
        (ActivityKind.MEETING, _("Meetings")),
        (ActivityKind.EMAIL, _("Emails")),
        ("note", _("Notes")),
    ]


SHOW = frozenset({*ActivityKind.values, "note"})


def record_timeline(
    *, actor: User, record: RecordModel, page: int = 1, show: str = ""
) -> TimelinePage:
    """A page of the record's timeline; `show` narrows it to one kind of activity or to
    notes (anything else shows everything)."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    page = max(page, 1)
    show = show if show in SHOW else ""
    link = _link(record)
    activities = Activity.objects.filter(**link).annotate(
        k=Value("activity", output_field=CharField()),
        rid=F("id"),
        ts=F("created_at"),
    )
    notes = Note.objects.filter(**link, pinned=False).annotate(
        k=Value("note", output_field=CharField()), rid=F("id"), ts=F("created_at")
    )
    events = AuditEvent.objects.filter(
        object_type=type(record)._meta.label_lower, object_id=str(record.pk)
    ).annotate(k=Value("event", output_field=CharField()), rid=F("id"), ts=F("created_at"))
    union: Any
    if show in ActivityKind.values:
        union = activities.filter(kind=show).values_list("k", "rid", "ts").order_by("-ts", "-rid")
    elif show == "note":
        union = notes.values_list("k", "rid", "ts").order_by("-ts", "-rid")
    else:
        union = (
            activities.values_list("k", "rid", "ts")
            .union(
                notes.values_list("k", "rid", "ts"), events.values_list("k", "rid", "ts"), all=True
            )
            .order_by("-ts", "-rid")
        )
    start = (page - 1) * PER_PAGE
    keys = list(union[start : start + PER_PAGE + 1])
    has_next = len(keys) > PER_PAGE
    keys = keys[:PER_PAGE]
    ids: dict[str, list[int]] = {"activity": [], "note": [], "event": []}
    for kind, pk, _ts in keys:
        ids[kind].append(pk)
    loaded_activities = _by_id(Activity.objects.all(), ids["activity"])
    loaded_notes = _by_id(Note.objects.all(), ids["note"])
    loaded_events = _by_id(AuditEvent.objects.all(), ids["event"])
    pinned_notes = (
        list(Note.objects.filter(**link, pinned=True).order_by("-created_at", "-id"))
        if page == 1 and show in ("", "note")
        else []
    )
    authors = _authors(
        notes=[*loaded_notes.values(), *pinned_notes], activities=loaded_activities.values()
    )
    participants = _participants(loaded_activities.values())
    names = _names(
        loaded_events.values(), loaded_activities.values(), authors.values(), participants
    )
    entries = []
    for kind, pk, _ts in keys:
        if kind == "activity":
            activity = loaded_activities[pk]
            entries.append(
                Entry(
                    "activity",
                    activity.created_at,
                    actor=names.user(authors.get(("crm.activity", pk))),
                    author_id=authors.get(("crm.activity", pk)),
                    activity=activity,
                    assignee=names.user(activity.assignee_id),
                    participants=[
                        names.name(Contact, cid) if cid is not None else names.user(uid)
                        for cid, uid in participants.get(pk, [])
                    ],
                )
            )
        elif kind == "note":
            entries.append(_note_entry(loaded_notes[pk], authors, names))
        else:
            entries.append(_event_entry(loaded_events[pk], record, names))
    pinned = [_note_entry(note, authors, names) for note in pinned_notes]
    return TimelinePage(pinned=pinned, entries=entries, page=page, has_next=has_next, show=show)


def _participants(activities: Iterable[Activity]) -> dict[int, list[tuple[int | None, int | None]]]:
    """(contact id, user id) of each meeting's participants; one query when the page holds
    a meeting, none otherwise."""
    meetings = [a.pk for a in activities if a.kind == ActivityKind.MEETING]
    if not meetings:
        return {}
    found: dict[int, list[tuple[int | None, int | None]]] = {}
    rows = ActivityParticipant.objects.filter(activity_id__in=meetings).order_by("id")
    for activity_id, contact_id, user_id in rows.values_list(
        "activity_id", "contact_id", "user_id"
    ):
        found.setdefault(activity_id, []).append((contact_id, user_id))
    return found


def _by_id(queryset: Any, pks: list[int]) -> dict[int, Any]:
    return {row.pk: row for row in queryset.filter(pk__in=pks)} if pks else {}


def _authors(
    *, notes: Iterable[Note], activities: Iterable[Activity]
) -> dict[tuple[str, int], int]:
    """Who wrote each note and activity, from their "created" audit rows (the tables keep no
    author)."""
    wanted = [("crm.note", n.pk) for n in notes] + [("crm.activity", a.pk) for a in activities]
    if not wanted:
        return {}
    rows = AuditEvent.objects.filter(
        action__in=["crm.note.created", "crm.activity.created"],
        object_type__in={t for t, _pk in wanted},
        object_id__in={str(pk) for _t, pk in wanted},
    ).values_list("object_type", "object_id", "actor_id")
    return {(t, int(pk)): actor_id for t, pk, actor_id in rows if actor_id is not None}


class _Names:
    """Display names of the people and records a page refers to, by model and id."""

    def __init__(self, found: dict[str, dict[int, str]]) -> None:
        self.found = found

    def user(self, pk: int | None) -> str:
        return self.found.get(_tag(User), {}).get(pk, "") if pk is not None else ""

    def name(self, model: type[Model], pk: Any) -> str:
        if pk is None:
            return "—"
        label = self.found.get(_tag(model), {}).get(pk)
        if label is None:
            return _("#%(id)s (no longer exists)") % {"id": pk}
        return label


def _tag(model: type[Model]) -> str:
    return str(model._meta.label_lower)


def _labels(model: type[Model], pks: set[int]) -> Any:
    """(model, id, display name) rows of one model, to be UNIONed with the others."""
    if model is User:
        label: Any = Coalesce(NullIf("full_name", Value("")), "email")
    elif model is Contact:
        label = Trim(Concat("first_name", Value(" "), "last_name"))
    else:
        label = F("name")
    return (
        model._default_manager.filter(pk__in=pks)
        .annotate(
            t=Value(_tag(model), output_field=CharField()),
            rid=F("id"),
            label=Cast(label, output_field=CharField()),
        )
        .values_list("t", "rid", "label")
    )


def _names(
    events: Iterable[AuditEvent],
    activities: Iterable[Activity],
    author_ids: Iterable[int],
    participants: dict[int, list[tuple[int | None, int | None]]] | None = None,
) -> _Names:
    """Every name a page shows, in one query (a UNION over users, stages, pipelines,
    organizations and contacts), so the count does not depend on what the page holds."""
    wanted: dict[type[Model], set[int]] = {User: set(author_ids)}
    for event in events:
        if event.actor_id is not None:
            wanted[User].add(event.actor_id)
        merged = _MERGED.get(event.object_type) if event.action.endswith(".merged") else None
        if merged is not None:
            for referenced, pks in merge_references(event.changes, merged).items():
                wanted.setdefault(referenced, set()).update(pks)
        for name, pair in event.changes.items():
            model = _REFERENCES.get(name)
            if model is None or not isinstance(pair, list):
                continue
            for value in pair:
                values = value if isinstance(value, list) else [value]
                wanted.setdefault(model, set()).update(v for v in values if isinstance(v, int))
    for activity in activities:
        if activity.assignee_id is not None:
            wanted[User].add(activity.assignee_id)
    for people in (participants or {}).values():
        for contact_id, user_id in people:
            if contact_id is not None:
                wanted.setdefault(Contact, set()).add(contact_id)
            if user_id is not None:
                wanted[User].add(user_id)
    parts = [_labels(model, pks) for model, pks in wanted.items() if pks]
    found: dict[str, dict[int, str]] = {}
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for tag, pk, label in rows:
            found.setdefault(tag, {})[pk] = label
    return _Names(found)


def _note_entry(note: Note, authors: dict[tuple[str, int], int], names: _Names) -> Entry:
    return Entry(
        "note",
        note.created_at,
        actor=names.user(authors.get(("crm.note", note.pk))),
        note=note,
        note_html=note_html(note.body),
    )


def _event_entry(event: AuditEvent, record: RecordModel, names: _Names) -> Entry:
    kind = "stage" if event.action == "crm.deal.stage_moved" else "change"
    model = type(record)
    changes, summary = event.changes, []
    if event.action.endswith(".merged"):
        row, changes = merge_row(event.changes)
        summary = merge_lines(
            row,
            name_of=lambda pk: names.name(model, pk),
            label=lambda name: _merge_label(model, name),
            show=lambda name, value: _show(model, name, value, names),
        )
    return Entry(
        kind,
        event.created_at,
        actor=names.user(event.actor_id),
        action=event.action.rsplit(".", 1)[-1],
        changes=list(_changes(changes, model, names)),
        summary=summary,
    )


def _merge_label(model: type[Model], name: str) -> str:
    if name.startswith("custom_fields."):
        key = name.removeprefix("custom_fields.")
        return _custom_labels(model).get(key, key)
    return _label(model, name, _extra_labels())


def _custom_labels(model: type[Model]) -> dict[str, str]:
    return dict(
        CustomField.objects.filter(entity=model._meta.model_name).values_list("key", "label")
    )


def _changes(changes: dict[str, Any], model: type[Model], names: _Names) -> Iterable[FieldChange]:
    extra = _extra_labels()
    for name, pair in changes.items():
        if name in _HIDDEN or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if blank_pair(pair) or old == new:  # rows written before blank pairs were dropped
            continue
        if name == "custom_fields":
            yield from _custom_changes(old or {}, new or {}, model)
            continue
        yield FieldChange(
            _label(model, name, extra),
            _show(model, name, old, names),
            _show(model, name, new, names),
        )


def _custom_changes(
    old: dict[str, Any], new: dict[str, Any], model: type[Model]
) -> Iterable[FieldChange]:
    # Custom-field edits are rare in a page of history; their labels cost one query each time.
    keys = [k for k in sorted({*old, *new}) if old.get(k) != new.get(k)]
    labels = _custom_labels(model) if keys else {}
    for key in keys:
        yield FieldChange(labels.get(key, key), _plain(old.get(key)), _plain(new.get(key)))


def _label(model: type[Model], name: str, extra: dict[str, str]) -> str:
    if name in extra:
        return extra[name]
    try:
        return capfirst(str(getattr(model._meta.get_field(name), "verbose_name", name)))
    except Exception:  # a field that no longer exists keeps its raw name
        return name


def _show(model: type[Model], name: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    reference = _REFERENCES.get(name)
    if reference is not None:
        values = value if isinstance(value, list) else [value]
        return ", ".join(names.name(reference, v) for v in values)
    try:
        field_ = model._meta.get_field(name)
    except Exception:
        field_ = None
    choices = dict(getattr(field_, "flatchoices", None) or [])
    if choices and value in choices:
        return str(choices[value])
    if isinstance(field_, DecimalField):
        # an amount as the language writes numbers (12 500,50), not as stored (12500.50)
        try:
            return amount_format(Decimal(str(value)), places=field_.decimal_places or 0)
        except (InvalidOperation, ValueError):
            pass
    return _plain(value)


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(
            _plain(v) if not isinstance(v, list) else " ".join(map(str, v)) for v in value
        )
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        parsed = _parse_dt(value)
        if parsed is not None:
            return date_format(localtime(parsed), "SHORT_DATETIME_FORMAT")
    return str(value)


def _parse_dt(value: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
