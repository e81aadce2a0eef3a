"""Keyset (seek) pagination over one sort key plus the primary key.

Rows are ordered by `(_sort_key, pk)`, both ascending or both descending, with PostgreSQL's
default NULL placement (last when ascending, first when descending), so the reverse order is
exactly the reverse. A cursor holds the sort key and pk of a boundary row; the next page is
the rows after it, the previous page the rows before it (read in the reverse order, then
flipped). Each condition is written as `key >= v AND (key > v OR (key = v AND pk > id))`:
the first part lets PostgreSQL seek in an index on the key instead of reading every earlier
row, the rest settles ties on the key by pk. The last page is the first page of the reverse
order, so it is as fast as the first.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet

KEY = "_sort_key"


class BadCursor(ValueError):
    pass


def _dump(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    raise TypeError(type(value))


def _load(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if isinstance(raw, str):
            if tag == "d":
                return Decimal(raw)
            if tag == "dt":
                return datetime.datetime.fromisoformat(raw)
            if tag == "date":
                return datetime.date.fromisoformat(raw)
    raise BadCursor


def cursor_encode(value: Any, pk: int) -> str:
    raw = json.dumps([_dump(value), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise BadCursor
        return _load(value), pk
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadCursor from exc


def ordered(qs: QuerySet[Any], *, descending: bool) -> QuerySet[Any]:
    if descending:
        return qs.order_by(F(KEY).desc(), F("pk").desc())
    return qs.order_by(F(KEY).asc(), F("pk").asc())


def after(value: Any, pk: int, *, descending: bool, nullable: bool = True) -> Q:
    """Rows after (value, pk) in the order (ascending or descending, PostgreSQL's NULLs).
    For a key that is never NULL, `nullable=False` leaves out the NULL branch, whose OR
    would keep PostgreSQL from seeking in the index."""
    if not descending:
        if value is None:  # NULLs come last: only NULL rows with a greater pk follow
            return Q(**{f"{KEY}__isnull": True, "pk__gt": pk})
        seek = Q(**{f"{KEY}__gte": value}) & (
            Q(**{f"{KEY}__gt": value}) | Q(**{KEY: value, "pk__gt": pk})
        )
        return seek | Q(**{f"{KEY}__isnull": True}) if nullable else seek
    if value is None:  # NULLs come first: later NULLs, then every value
        return Q(**{f"{KEY}__isnull": True, "pk__lt": pk}) | Q(**{f"{KEY}__isnull": False})
    return Q(**{f"{KEY}__lte": value}) & (
        Q(**{f"{KEY}__lt": value}) | Q(**{KEY: value, "pk__lt": pk})
    )


@dataclass
class Page:
    rows: list[Any]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None
    number: int | None  # known for offset pages and the first page


def _cursor(row: Any) -> str:
    return cursor_encode(getattr(row, KEY), row.pk)


def _page(rows: list[Any], has_next: bool, has_previous: bool, number: int | None) -> Page:
    return Page(
        rows=rows,
        has_next=has_next,
        has_previous=has_previous,
        next_cursor=_cursor(rows[-1]) if rows and has_next else None,
        previous_cursor=_cursor(rows[0]) if rows and has_previous else None,
        number=number,
    )


def page_get(
    qs: QuerySet[Any],
    *,
    descending: bool,
    size: int,
    after_cursor: tuple[Any, int] | None = None,
    before_cursor: tuple[Any, int] | None = None,
    last: bool = False,
    number: int = 1,
    nullable: bool = True,
) -> Page:
    """One page of `qs` (annotated with `_sort_key`). Exactly one way of choosing the page
    applies: `after_cursor`, `before_cursor`, `last`, or the 1-based offset page `number`."""
    if after_cursor is not None:
        value, pk = after_cursor
        seek = after(value, pk, descending=descending, nullable=nullable)
        rows = list(ordered(qs.filter(seek), descending=descending)[: size + 1])
        return _page(rows[:size], len(rows) > size, True, None)
    if before_cursor is not None or last:
        reverse = ordered(qs, descending=not descending)
        if before_cursor is not None:
            value, pk = before_cursor
            reverse = reverse.filter(after(value, pk, descending=not descending, nullable=nullable))
        rows = list(reverse[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return _page(rows, before_cursor is not None, more, 1 if not more else None)
    if number > 1:
        # Offset pages: find the row just before the page with a narrow query (key and pk
        # only: no joins, no wide rows, often index-only), then seek from it.
        skip = (number - 1) * size
        boundary = list(ordered(qs, descending=descending).values_list(KEY, "pk")[skip - 1 : skip])
        if not boundary:
            return _page([], False, True, number)
        value, pk = boundary[0]
        seek = after(value, pk, descending=descending, nullable=nullable)
        rows = list(ordered(qs.filter(seek), descending=descending)[: size + 1])
        return _page(rows[:size], len(rows) > size, True, number)
    rows = list(ordered(qs, descending=descending)[: size + 1])
    return _page(rows[:size], len(rows) > size, False, 1)
