"""The company's latest CRM activity for the dashboard, in words: records created and
edited, activities logged and completed, deals moved, won and lost, notes added.

It is read from the data itself (a company whose records were imported or loaded without
audit rows still has a history), plus the audit rows of edits. One UNION of small
"newest first" branches picks the page; one query finds who did each thing (the audit rows
of those writes) and one names them: three queries whatever the company holds.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from shared_apps.accounts.models import User
from tenant_apps.crm.models import Activity, Contact, Deal, Note, Organization, Stage
from tenant_apps.history.models import AuditEvent
from tenant_apps.history.services import blank_pair

LIMIT = 10
_HIDDEN = frozenset({"stage_changed_at", "search_text", "version", "updated_at"})
_RECORDS = {"crm.deal": Deal, "crm.organization": Organization, "crm.contact": Contact}
_COLUMNS = ("k", "rid", "ts", "label", "detail", "org", "person", "dl", "who", "diff")


@dataclass
class FeedItem:
    kind: str  # e.g. "deal.won", "activity.done", "contact.updated"
    at: datetime.datetime
    actor: str
    verb: str  # "won the deal", in the user's language
    name: str  # what it is about (a record's or activity's name)
    detail: str  # a stage name, the edited fields…
    link_kind: str  # "deal", "organization", "contact" or ""
    link_id: int | None


def _none(field: Any) -> Cast:
    return Cast(Value(None), output_field=field)  # a typed NULL, which UNION can match


def _row(**columns: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "detail": Value("", output_field=CharField()),
        "org": _none(BigIntegerField()),
        "person": _none(BigIntegerField()),
        "dl": _none(BigIntegerField()),
        "who": _none(BigIntegerField()),
        "diff": Value("", output_field=TextField()),
    }
    defaults.update(columns)
    return defaults


def _contact_name(prefix: str = "") -> Any:
    return Trim(Concat(f"{prefix}first_name", Value(" "), f"{prefix}last_name"))


def _branch(queryset: Any, limit: int, **columns: Any) -> Any:
    annotated = queryset.annotate(
        **{f"_{name}": value for name, value in _row(**columns).items()}
    ).values_list(*(f"_{name}" for name in _COLUMNS))
    return annotated.order_by("-_ts")[:limit]


def _text(expression: Any) -> Any:
    return Cast(expression, output_field=CharField())


def _name_of(model: type[Any], column: str) -> Any:
    label = _contact_name() if model is Contact else F("name")
    return NullIf(
        Subquery(
            model._default_manager.filter(pk=OuterRef(column)).values_list(label, flat=True)[:1],
            output_field=CharField(),
        ),
        Value(""),
    )


def _branches(limit: int) -> list[Any]:
    live = Q(deleted_at__isnull=True)
    kind: dict[str, Any] = {"output_field": CharField()}
    # names of other rows as correlated subqueries, not joins: with each branch read newest
    # first from an index, they are computed for the few rows kept only
    parent_name = Coalesce(
        _name_of(Deal, "deal_id"),
        _name_of(Organization, "organization_id"),
        _name_of(Contact, "contact_id"),
        Value(""),
        output_field=CharField(),
    )
    parent_links = {"org": F("organization_id"), "person": F("contact_id"), "dl": F("deal_id")}
    record_name = Case(
        *(
            When(
                object_type=label,
                then=Subquery(
                    model._default_manager.filter(
                        pk=Cast(OuterRef("object_id"), output_field=BigIntegerField())
                    ).values_list(_contact_name() if model is Contact else F("name"), flat=True)[:1]
                ),
            )
            for label, model in _RECORDS.items()
        ),
        default=Value(""),
        output_field=CharField(),
    )
    return [
        _branch(
            Organization.objects.filter(live),
            limit,
            k=Value("organization.created", **kind),
            rid=F("id"),
            ts=F("created_at"),
            label=_text("name"),
            org=F("id"),
        ),
        _branch(
            Contact.objects.filter(live),
            limit,
            k=Value("contact.created", **kind),
            rid=F("id"),
            ts=F("created_at"),
            label=_text(_contact_name()),
            person=F("id"),
        ),
        _branch(
            Deal.objects.filter(live),
            limit,
            k=Value("deal.created", **kind),
            rid=F("id"),
            ts=F("created_at"),
            label=_text("name"),
            dl=F("id"),
        ),
        _branch(
            # a new deal's first stage is not a move: `deal_create` sets `stage_changed_at`
            # just before the row's `created_at`, a later move after it
            Deal.objects.filter(live, stage_changed_at__gt=F("created_at")),
            limit,
            k=Case(
                When(status="won", then=Value("deal.won")),
                When(status="lost", then=Value("deal.lost")),
                default=Value("deal.moved"),
                **kind,
            ),
            rid=F("id"),
            ts=Cast("stage_changed_at", output_field=DateTimeField()),
            label=_text("name"),
            detail=Subquery(
                Stage.objects.filter(pk=OuterRef("stage_id")).values_list("name", flat=True)[:1],
                output_field=CharField(),
            ),
            dl=F("id"),
        ),
        _branch(
            Activity.objects.all(),
            limit,
            k=Value("activity.created", **kind),
            rid=F("id"),
            ts=F("created_at"),
            label=_text("subject"),
            detail=_text("kind"),
            **parent_links,
        ),
        _branch(
            # a call, an email or a past meeting is logged done: `activity_create` sets
            # `done_at` just before the row's `created_at`, so only a later completion shows
            # (otherwise each logged call read twice, once completed by "Someone")
            Activity.objects.filter(done=True, done_at__gt=F("created_at")),
            limit,
            k=Value("activity.done", **kind),
            rid=F("id"),
            ts=Cast("done_at", output_field=DateTimeField()),
            label=_text("subject"),
            detail=_text("kind"),
            **parent_links,
        ),
        _branch(
            Note.objects.all(),
            limit,
            k=Value("note.created", **kind),
            rid=F("id"),
            ts=F("created_at"),
            label=_text(parent_name),
            **parent_links,
        ),
        # edits: only the audit rows know them (and who made them)
        _branch(
            AuditEvent.objects.filter(
                action__in=[f"{label}.updated" for label in _RECORDS]
            ).exclude(changes={}),
            limit,
            k=Concat(F("object_type"), Value(".updated"), output_field=CharField()),
            rid=Cast("object_id", output_field=BigIntegerField()),
            ts=F("created_at"),
            label=record_name,
            who=Cast("actor_id", output_field=BigIntegerField()),
            diff=Cast("changes", output_field=TextField()),
        ),
    ]


# Which audit row tells who did a thing the tables show (the latest one wins).
_AUTHOR_ACTIONS = {
    "organization.created": "crm.organization.created",
    "contact.created": "crm.contact.created",
    "deal.created": "crm.deal.created",
    "deal.won": "crm.deal.stage_moved",
    "deal.lost": "crm.deal.stage_moved",
    "deal.moved": "crm.deal.stage_moved",
    "activity.created": "crm.activity.created",
    "activity.done": "crm.activity.updated",
    "note.created": "crm.note.created",
}


def _authors(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], int]:
    """(action, object id) → the actor of the latest such audit row."""
    wanted = [(_AUTHOR_ACTIONS[row[0]], str(row[1])) for row in rows if row[0] in _AUTHOR_ACTIONS]
    if not wanted:
        return {}
    found = (
        AuditEvent.objects.filter(
            action__in={a for a, _pk in wanted},
            object_type__in={a.rsplit(".", 1)[0] for a, _pk in wanted},
            object_id__in={pk for _a, pk in wanted},
            actor_id__isnull=False,
        )
        .order_by("created_at", "id")
        .values_list("action", "object_id", "actor_id")
    )
    return {(action, pk): actor for action, pk, actor in found}


def _people(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    label = Coalesce(NullIf("full_name", Value("")), "email", output_field=CharField())
    return dict(User.objects.filter(pk__in=ids).annotate(label=label).values_list("pk", "label"))


def _verbs() -> dict[str, str]:
    return {
        "organization.created": _("added the organization"),
        "contact.created": _("added the contact"),
        "deal.created": _("created the deal"),
        "deal.won": _("won the deal"),
        "deal.lost": _("lost the deal"),
        "deal.moved": _("moved the deal"),
        "activity.created:task": _("added the task"),
        "activity.created:call": _("logged the call"),
        "activity.created:meeting": _("logged the meeting"),
        "activity.created:email": _("logged the email"),
        "activity.done:task": _("completed the task"),
        "activity.done:call": _("completed the call"),
        "activity.done:meeting": _("completed the meeting"),
        "activity.done:email": _("completed the email"),
        "note.created": _("added a note to"),
        "crm.organization.updated": _("edited the organization"),
        "crm.contact.updated": _("edited the contact"),
        "crm.deal.updated": _("edited the deal"),
    }


def _edited_fields(kind: str, raw: str) -> list[str]:
    """The visible fields an edit changed, by their names in the user's language."""
    try:
        changes = json.loads(raw) if raw else {}
    except ValueError:
        return []
    model = _RECORDS.get(kind.rsplit(".", 1)[0])
    names = []
    for name, pair in changes.items() if isinstance(changes, dict) else ():
        if name in _HIDDEN or blank_pair(pair):
            continue
        if isinstance(pair, list) and len(pair) == 2 and pair[0] == pair[1]:
            continue
        try:
            names.append(capfirst(str(model._meta.get_field(name).verbose_name)))  # type: ignore[union-attr]
        except Exception:  # a field that is gone, contacts, tags: by its key
            names.append(name.replace("_", " "))
    return names


def _link(kind: str, rid: int, org: Any, person: Any, deal: Any) -> tuple[str, int | None]:
    if kind.startswith(("deal.", "crm.deal.")):
        return "deal", rid
    if kind.startswith(("organization.", "crm.organization.")):
        return "organization", rid
    if kind.startswith(("contact.", "crm.contact.")):
        return "contact", rid
    for name, value in (("deal", deal), ("contact", person), ("organization", org)):
        if value is not None:
            return name, int(value)
    return "", None


def recent_activity(*, limit: int = LIMIT) -> list[FeedItem]:
    """The latest `limit` things that happened, newest first: three queries. The caller has
    checked access (`dashboard_get`)."""
    branches = _branches(limit * 2)  # room for edits that turn out to show nothing
    union = branches[0].union(*branches[1:], all=True).order_by("-_ts")
    rows = list(union[: limit * 2])
    authors = _authors(rows)
    actor_ids: dict[int, int | None] = {}
    for i, row in enumerate(rows):
        kind, rid, who = row[0], row[1], row[8]
        actor_ids[i] = (
            who if who is not None else authors.get((_AUTHOR_ACTIONS.get(kind, ""), str(rid)))
        )
    people = _people({a for a in actor_ids.values() if a is not None})
    verbs = _verbs()
    items: list[FeedItem] = []
    for i, (kind, rid, ts, label, detail, org, person, deal, _who, diff) in enumerate(rows):
        if kind.endswith(".updated"):
            fields = _edited_fields(kind, diff)
            if not fields:
                continue
            detail = ", ".join(fields)
        link_kind, link_id = _link(kind, rid, org, person, deal)
        actor_id = actor_ids[i]
        items.append(
            FeedItem(
                kind=kind,
                at=ts,
                actor=people.get(actor_id, "") if actor_id is not None else "",
                verb=verbs.get(f"{kind}:{detail}" if kind.startswith("activity.") else kind, ""),
                name=label or "",
                detail="" if kind.startswith("activity.") else (detail or ""),
                link_kind=link_kind,
                link_id=link_id,
            )
        )
        if len(items) == limit:
            break
    return items
