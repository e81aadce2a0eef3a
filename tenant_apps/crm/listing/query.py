"""From a list's query string to rows: filters, sort, visible columns and the page.

Nothing here raises on bad input: each problem becomes a message (next to its filter, or
about the sort, columns or page) and the list is built from what is valid.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from tenant_apps.crm.listing import keyset
from tenant_apps.crm.listing.columns import Column, custom_column
from tenant_apps.crm.listing.entities import ListSpec, custom_filters
from tenant_apps.crm.listing.filters import Filter, People
from tenant_apps.crm.models import CustomField

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
# Parameters that choose a page: not part of a saved view, dropped when filters change.
PAGING_PARAMS = ("after", "before", "page")
# Parameters a saved view keeps (with every filter's own names).
VIEW_PARAMS = ("sort", "cols", "per_page")
# `page=<n>` beyond this is refused when the row count is not known (an OFFSET past it
# would overflow PostgreSQL's bigint).
MAX_PAGE = 10**9


@dataclass
class ListState:
    spec: ListSpec
    columns: list[Column]  # every column, custom ones included
    filters: list[Filter]
    form: forms.Form
    visible: list[Column]
    sort_column: Column
    descending: bool
    per_page: int
    errors: list[str] = field(default_factory=list)  # sort, columns, page (not filters)

    @property
    def sort(self) -> str:
        return ("-" if self.descending else "") + self.sort_column.key

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or bool(self.form.errors)

    def filter_names(self) -> list[str]:
        return list(self.form.fields)


def _form_class(filters: Sequence[Filter]) -> type[forms.Form]:
    fields: dict[str, Any] = {}
    for f in filters:
        fields.update(f.fields())
    return type("ListFilterForm", (forms.Form,), fields)


def _columns_param(params: QueryDict) -> list[str]:
    keys: list[str] = []
    for raw in params.getlist("cols"):
        keys += [k.strip() for k in raw.split(",") if k.strip()]
    return keys


def state_build(
    *,
    spec: ListSpec,
    params: QueryDict,
    members: list[tuple[str, str]],
    definitions: list[CustomField] | None = None,
) -> ListState:
    """Parse and validate the query string (no rows are read; the filter form may read the
    tags, pipelines or stages it offers when rendered)."""
    if definitions is None:
        definitions = spec.custom_fields()
    columns = list(spec.columns) + [custom_column(d) for d in definitions]
    filters: list[Filter] = []
    for f in [*spec.filters, *custom_filters(definitions)]:
        if isinstance(f, People):
            f = People(f.name, f.label, lookup=f.lookup, choices=members)
        filters.append(f)
    form = _form_class(filters)(params)
    form.is_valid()  # errors stay on the form, shown next to each filter
    for f in filters:
        f.check(form)
    errors: list[str] = []

    by_key = {c.key: c for c in columns}
    wanted = _columns_param(params)
    visible = [by_key[k] for k in dict.fromkeys(wanted) if k in by_key]
    if wanted and len(visible) < len(set(wanted)):
        errors.append(_("Some of the chosen columns do not exist any more; they are left out."))
    if not visible:
        visible = [c for c in columns if c.default]

    sort = params.get("sort") or spec.default_sort
    descending = sort.startswith("-")
    sort_column = by_key.get(sort.lstrip("-"))
    if sort_column is None or sort_column.sort is None:
        errors.append(_("This list cannot be sorted by “%(column)s”.") % {"column": sort})
        descending = spec.default_sort.startswith("-")
        sort_column = by_key[spec.default_sort.lstrip("-")]

    per_page = DEFAULT_PAGE_SIZE
    if params.get("per_page"):
        try:
            per_page = int(params.get("per_page", ""))
        except ValueError:
            per_page = 0
        if per_page not in PAGE_SIZES:
            errors.append(_("Choose 25, 50 or 100 rows per page."))
            per_page = DEFAULT_PAGE_SIZE
    return ListState(
        spec=spec,
        columns=columns,
        filters=filters,
        form=form,
        visible=visible,
        sort_column=sort_column,
        descending=descending,
        per_page=per_page,
        errors=errors,
    )


def _valid_cleaned(state: ListState) -> dict[str, Any]:
    """The form's cleaned values, without the fields that did not clean."""
    cleaned = getattr(state.form, "cleaned_data", {})
    return {k: v for k, v in cleaned.items() if k not in state.form.errors}


def rows_filtered(state: ListState, *, actor: User) -> QuerySet[Any]:
    """The list's rows (selector: access check, related rows), filtered, with `_sort_key`."""
    qs = state.spec.rows(actor)
    cleaned = _valid_cleaned(state)
    for f in state.filters:
        qs = f.apply(qs, cleaned)
    assert state.sort_column.sort is not None
    qs = qs.annotate(**{keyset.KEY: state.sort_column.sort()})
    if state.sort_column.group is not None:
        qs = qs.annotate(**{keyset.GROUP: state.sort_column.group()})
    return qs


def page_read(
    state: ListState, qs: QuerySet[Any], params: QueryDict, *, total: int | None = None
) -> keyset.Page:
    """The page the query string asks for: `after`, `before`, `page=last` or `page=<n>`.
    A cursor that is not one of this sort's (or not one at all) gives the first page, a
    page number past the end (`total` rows) the last one, each with a message."""
    nullable = state.sort_column.sort_nullable(state.spec.model)
    common: dict[str, Any] = {
        "descending": state.descending,
        "size": state.per_page,
        "nullable": nullable,
    }
    for name in ("after", "before"):
        raw = params.get(name, "")
        if raw:
            try:
                cursor = keyset.cursor_decode(raw)
            except keyset.BadCursor:
                cursor = None
            if cursor is None or not keyset.cursor_fits(cursor, qs):
                state.errors.append(_("That page link is not valid; showing the first page."))
                break
            if name == "after":
                return keyset.page_get(qs, **common, after_cursor=cursor)
            return keyset.page_get(qs, **common, before_cursor=cursor)
    page = params.get("page", "")
    if page == "last":
        return keyset.page_get(qs, **common, last=True)
    number = 1
    if page:
        if page.isascii() and page.isdigit():
            # int() refuses more than 4300 digits; anything that long is past the end
            number = int(page) if len(page) <= 30 else MAX_PAGE + 1
        else:
            number = 0
        if number < 1:
            state.errors.append(_("That page number is not valid; showing the first page."))
            number = 1
    pages = MAX_PAGE if total is None else max(1, -(-total // state.per_page))
    if number > pages:
        state.errors.append(
            _("There is no page %(number)s; showing the last page.") % {"number": page}
        )
        return keyset.page_get(qs, **common, last=True)
    return keyset.page_get(qs, **common, number=number)


def export_rows(state: ListState, qs: QuerySet[Any], *, chunk: int = 500) -> Iterator[Any]:
    """Every row in the list's order, read in keyset chunks (memory stays flat; prefetches
    run per chunk)."""
    nullable = state.sort_column.sort_nullable(state.spec.model)
    cursor: tuple[Any, int] | None = None
    while True:
        page = keyset.page_get(
            qs,
            descending=state.descending,
            size=chunk,
            after_cursor=cursor,
            nullable=nullable,
        )
        yield from page.rows
        if not page.has_next:
            return
        last = page.rows[-1]
        cursor = (keyset.row_value(last), last.pk)


def view_query(params: QueryDict, filter_names: Sequence[str]) -> dict[str, list[str]]:
    """What a saved view keeps of the query string: filters, sort, columns, page size."""
    keep = set(filter_names) | set(VIEW_PARAMS)
    return {
        k: [v for v in params.getlist(k) if v]
        for k in params
        if k in keep and any(params.getlist(k))
    }
