"""What the list template shows, computed from the list's state and page: headers with their
sort links, rows as text cells, page links, filter groups, and the saved view picker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.forms import (
    BoundField,
    CheckboxSelectMultiple,
    ChoiceField,
    DateField,
    SelectMultiple,
)
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from shared_apps.accounts.models import User
from shared_apps.accounts.permissions import Action, Member, can
from tenant_apps.crm.listing import keyset
from tenant_apps.crm.listing.columns import Column, text
from tenant_apps.crm.listing.entities import (
    BULK_DELETE,
    BULK_OWNER,
    BULK_TAG_ADD,
    BULK_TAG_REMOVE,
    ListSpec,
)
from tenant_apps.crm.listing.filters import NumberField
from tenant_apps.crm.listing.query import PAGE_SIZES, PAGING_PARAMS, VIEW_PARAMS, ListState
from tenant_apps.crm.models import SavedView

_BULK_ACTIONS = {
    BULK_OWNER: Action.RECORD_EDIT,
    BULK_TAG_ADD: Action.RECORD_EDIT,
    BULK_TAG_REMOVE: Action.RECORD_EDIT,
    BULK_DELETE: Action.RECORD_DELETE,
}


def bulk_action_permission(action: str) -> Action:
    return _BULK_ACTIONS[action]


def role_actions(spec: ListSpec, membership: Member | None) -> list[str]:
    """The bulk actions of the list that `membership` may run (the services check again)."""
    return [a for a in spec.bulk_actions if can(membership, _BULK_ACTIONS[a])]


def _url(path: str, params: QueryDict, **changes: str | None) -> str:
    query = params.copy()
    for name in PAGING_PARAMS:
        query.pop(name, None)
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    encoded = query.urlencode()
    return f"{path}?{encoded}" if encoded else path


@dataclass
class Header:
    column: Column
    sortable: bool
    aria_sort: str  # "ascending", "descending" or "none"
    url: str


@dataclass
class Row:
    pk: int
    link: str | None
    cells: list[tuple[Column, str]]


@dataclass
class FilterInput:
    """One input of the filter form, ready for plain HTML (Django's widget templates cost
    several milliseconds per field, a fifth of the page)."""

    name: str
    id: str
    label: Any
    kind: str  # "text", "date", "number", "checkboxes", "select", "yesno"
    value: str
    options: list[tuple[str, Any, bool]]
    errors: list[str]


@dataclass
class FilterGroup:
    label: Any
    fields: list[FilterInput]
    active: bool


def _input(bound: BoundField) -> FilterInput:
    field = bound.field
    widget = field.widget
    raw = bound.data if bound.form.is_bound else None
    if isinstance(widget, CheckboxSelectMultiple | SelectMultiple):
        chosen = {str(v) for v in (raw or [])}
        kind = "checkboxes" if isinstance(widget, CheckboxSelectMultiple) else "select"
        choices = field.choices  # type: ignore[attr-defined]
        options = [(str(k), label, str(k) in chosen) for k, label in choices]
        value = ""
    elif isinstance(field, ChoiceField):
        kind = "yesno"
        value = str(raw or "")
        options = [(str(k), label, str(k) == value) for k, label in field.choices]  # type: ignore[misc,union-attr]
    else:
        kind = {DateField: "date", NumberField: "number"}.get(type(field), "text")
        value = "" if raw is None else str(raw)
        options = []
    return FilterInput(
        name=bound.html_name,
        id=bound.auto_id,
        label=bound.label,
        kind=kind,
        value=value,
        options=options,
        errors=[str(e) for e in bound.errors],
    )


def _headers(request: HttpRequest, state: ListState) -> list[Header]:
    headers = []
    for column in state.visible:
        current = column is state.sort_column
        aria = "none"
        if current:
            aria = "descending" if state.descending else "ascending"
        next_sort = f"-{column.key}" if current and not state.descending else column.key
        headers.append(
            Header(
                column=column,
                sortable=column.sort is not None,
                aria_sort=aria,
                url=_url(request.path, request.GET, sort=next_sort),
            )
        )
    return headers


def _link(spec: ListSpec, obj: Any) -> str | None:
    try:
        return spec.link(obj)
    except NoReverseMatch:
        return None


def _filter_groups(state: ListState) -> list[FilterGroup]:
    groups = []
    for f in state.filters:
        names = list(f.fields())
        bound = [state.form[n] for n in names if n != "q"]
        if not bound or all(b.field.widget.is_hidden for b in bound):
            continue
        inputs = [_input(b) for b in bound]
        active = any(i.value or any(o[2] for o in i.options) for i in inputs)
        groups.append(FilterGroup(label=f.label, fields=inputs, active=active))
    return groups


def _chips(request: HttpRequest, state: ListState) -> list[tuple[Any, str, str]]:
    """Hidden id filters in use (e.g. one organization's contacts): label, name, remove link."""
    chips = []
    cleaned = getattr(state.form, "cleaned_data", {})
    for f in state.filters:
        for name, field in f.fields().items():
            if not field.widget.is_hidden or name in state.form.errors:
                continue
            for obj in cleaned.get(name) or []:
                remaining = request.GET.copy()
                remaining.setlist(name, [v for v in remaining.getlist(name) if v != str(obj.pk)])
                chips.append((f.label, str(obj), _url(request.path, remaining)))
    return chips


def empty_text(entity: str) -> tuple[str, str]:
    """What an empty list says when nothing is filtered (what goes here), and its button."""
    texts = {
        "organization": (
            _("No organizations yet. Add the companies you sell to."),
            _("Add an organization"),
        ),
        "contact": (_("No contacts yet. Add the people you talk to."), _("Add a contact")),
        "deal": (
            _("No deals yet. Create a deal to follow it through your pipeline."),
            _("Create a deal"),
        ),
        "activity": (
            _("No activities yet. Log calls, meetings and tasks from any record."),
            _("Log an activity"),
        ),
    }
    return texts.get(entity, (_("Nothing here yet."), _("Add")))


def page_context(
    request: HttpRequest,
    state: ListState,
    page: keyset.Page,
    *,
    total: int,
    views: list[SavedView],
    actor: User,
) -> dict[str, Any]:
    spec = state.spec
    params = request.GET
    path = request.path
    create_url = None
    if spec.create_url_name:
        try:
            create_url = reverse(spec.create_url_name)
        except NoReverseMatch:
            create_url = None
    rows = [
        Row(
            pk=obj.pk,
            link=_link(spec, obj),
            cells=[(c, text(c.value(obj))) for c in state.visible],
        )
        for obj in page.rows
    ]
    visible_keys = {c.key for c in state.visible}
    current_view = params.get("view", "")
    filter_groups = _filter_groups(state)
    chips = _chips(request, state)
    # filtered: any parameter that narrows the rows (not paging, sorting, columns, the view id)
    narrowing = set(params) - {*PAGING_PARAMS, *VIEW_PARAMS, "view"}
    filtered = any(v.strip() for key in narrowing for v in params.getlist(key))
    return {
        "spec": spec,
        "state": state,
        "form": state.form,
        "quick": state.form["q"],
        "filter_groups": filter_groups,
        "chips": chips,
        # an empty page: "no match, clear the filters" or "nothing here yet, add the first"
        "filtered": filtered,
        "clear_filters_url": path,
        "empty_text": empty_text(spec.entity)[0],
        "empty_action": empty_text(spec.entity)[1],
        "hidden_fields": [
            state.form[n] for n in state.form.fields if state.form.fields[n].widget.is_hidden
        ],
        "headers": _headers(request, state),
        "rows": rows,
        "page": page,
        "total": total,
        "first_url": _url(path, params) if page.has_previous else None,
        "previous_url": _url(path, params, before=page.previous_cursor)
        if page.previous_cursor
        else None,
        "next_url": _url(path, params, after=page.next_cursor) if page.next_cursor else None,
        "last_url": _url(path, params, page="last") if page.has_next else None,
        "page_count": max(1, -(-total // state.per_page)),
        "page_url_template": _url(path, params, page="__page__"),
        "column_choices": [(c, c.key in visible_keys) for c in state.columns],
        "sort": state.sort,
        "per_page": state.per_page,
        "page_sizes": PAGE_SIZES,
        "export_url": _url(reverse(spec.export_url_name), params),
        "create_url": create_url,
        "my_views": [(v, _view_url(path, v)) for v in views if v.owner_id == actor.pk],
        "shared_views": [(v, _view_url(path, v)) for v in views if v.owner_id != actor.pk],
        "current_view": current_view,
    }


def _view_url(path: str, view: SavedView) -> str:
    query = QueryDict(mutable=True)
    for key, values in (view.query or {}).items():
        query.setlist(key, [str(v) for v in values])
    query["view"] = str(view.pk)
    return f"{path}?{query.urlencode()}"
