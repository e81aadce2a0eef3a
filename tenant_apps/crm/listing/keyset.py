"""Keyset (seek) pagination over one sort key plus the primary key.

Rows are ordered by `(_sort_key, pk)`, both ascending or both descending, with PostgreSQL's
default NULL placement (last when ascending, first when descending), so the reverse order is
exactly the reverse. A cursor holds the sort key and pk of a boundary row; the next page is
the rows after it, the previous page the rows before it (read in the reverse order, then
flipped). Each condition is written as `key >= v AND (key > v OR (key = v AND pk > id))`:
the first part lets PostgreSQL seek in an index on the key instead of reading every earlier
row, the rest settles ties on the key by pk. The last page is the first page of the reverse
order, so it is as fast as the first.

A list may also annotate `_sort_group`, a NOT NULL key sorted before `_sort_key` (deals by
amount are grouped by currency). Rows are then ordered by `(_sort_group, _sort_key, pk)` and
the seek is one row comparison, `(group, key, pk) > (g, v, id)`, which PostgreSQL answers
from an index on those three columns; both keys must then be NOT NULL.

A cursor comes from the query string: `cursor_fits` checks that its values have the types
of the sort's columns (and are in their range) before any of them reaches the database.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, F, Field, Func, Q, QuerySet, Value

KEY = "_sort_key"
GROUP = "_sort_group"
PK_MAX = 2**63 - 1
# Far beyond any amount or count the lists hold, well inside PostgreSQL's numeric range.
DECIMAL_MAX_EXPONENT = 40


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
    if isinstance(value, tuple):
        return {"t": [_dump(v) for v in value]}
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
        if tag == "t" and isinstance(raw, list) and len(raw) == 2:
            return tuple(_load(v) for v in raw)
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
    # ArithmeticError: Decimal's InvalidOperation; RecursionError: deeply nested JSON
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        raise BadCursor from exc


_TEXT = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}
_INTEGER = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


def value_fits(value: Any, field: Field[Any, Any]) -> bool:
    """Whether `value` (from a cursor) can be compared with a column of `field`'s type
    without a database error: the right Python type, and in the column's range."""
    if value is None:
        return True
    kind = field.get_internal_type()
    if kind in _TEXT:
        return isinstance(value, str) and "\x00" not in value
    if kind == "BooleanField":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind in _INTEGER:
        return isinstance(value, int) and -PK_MAX - 1 <= value <= PK_MAX
    if kind == "FloatField":
        return isinstance(value, int | float) and math.isfinite(value) and abs(value) < 1e300
    if kind == "DecimalField":
        return (
            isinstance(value, Decimal)
            and value.is_finite()
            and abs(value.adjusted()) <= DECIMAL_MAX_EXPONENT
        )
    if kind == "DateTimeField":
        return isinstance(value, datetime.datetime) and value.utcoffset() is not None
    if kind == "DateField":
        return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
    return False


def _keys(qs: QuerySet[Any]) -> list[str]:
    return [GROUP, KEY] if GROUP in qs.query.annotations else [KEY]


def cursor_fits(cursor: tuple[Any, int], qs: QuerySet[Any]) -> bool:
    """Whether a decoded cursor belongs to `qs`'s sort: a (group, key) pair for a grouped
    sort, each value of its column's type, and a pk in range."""
    value, pk = cursor
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 <= pk <= PK_MAX:
        return False
    keys = _keys(qs)
    values = value if len(keys) == 2 else (value,)
    if not isinstance(values, tuple) or len(values) != len(keys):
        return False
    if len(keys) == 2 and values[0] is None:  # the group is NOT NULL
        return False
    annotations = qs.query.annotations
    return all(
        value_fits(v, annotations[k].output_field) for k, v in zip(keys, values, strict=True)
    )


def ordered(qs: QuerySet[Any], *, descending: bool) -> QuerySet[Any]:
    keys = [*_keys(qs), "pk"]
    if descending:
        return qs.order_by(*(F(k).desc() for k in keys))
    return qs.order_by(*(F(k).asc() for k in keys))


class _RowCompare(Func):
    """`(a, b, c) > (x, y, z)` (or `<`): PostgreSQL seeks it in an index on (a, b, c)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, left: list[Any], right: list[Any], op: str) -> None:
        super().__init__(*left, *right)
        self.op = op

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, p = compiler.compile(expression)
            parts.append(sql)
            params.extend(p)
        half = len(parts) // 2
        return f"({', '.join(parts[:half])}) {self.op} ({', '.join(parts[half:])})", params


def after(value: Any, pk: int, *, descending: bool, nullable: bool = True) -> Q:
    """Rows after (value, pk) in the order (ascending or descending, PostgreSQL's NULLs).
    For a key that is never NULL, `nullable=False` leaves out the NULL branch, whose OR
    would keep PostgreSQL from seeking in the index. A tuple `value` is (group, key) of a
    grouped sort (both NOT NULL)."""
    if isinstance(value, tuple):
        group, key = value
        compare = _RowCompare(
            [F(GROUP), F(KEY), F("pk")],
            [Value(group), Value(key), Value(pk)],
            "<" if descending else ">",
        )
        return Q(compare)
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


def _seek(
    qs: QuerySet[Any], value: Any, pk: int, *, descending: bool, nullable: bool, limit: int
) -> list[Any]:
    """At most `limit` rows after (value, pk), in order. Where those rows are the values
    after `value` and then the NULLs (ascending from a value), or the NULLs after `pk` and
    then every value (descending from a NULL), the two parts are read one after the other,
    the second only when the first falls short of a page: as one condition joined by OR,
    PostgreSQL reads the index from its start and filters every earlier row out."""
    if not nullable or isinstance(value, tuple) or (value is None) != descending:
        seek = after(value, pk, descending=descending, nullable=nullable)
        return list(ordered(qs.filter(seek), descending=descending)[:limit])
    if descending:  # from a NULL: the later NULLs, then every value
        first, then = Q(**{f"{KEY}__isnull": True, "pk__lt": pk}), Q(**{f"{KEY}__isnull": False})
    else:  # from a value: the later values, then the NULLs
        first = after(value, pk, descending=False, nullable=False)
        then = Q(**{f"{KEY}__isnull": True})
    rows = list(ordered(qs.filter(first), descending=descending)[:limit])
    if len(rows) < limit:
        rows += list(ordered(qs.filter(then), descending=descending)[: limit - len(rows)])
    return rows


@dataclass
class Page:
    rows: list[Any]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None
    number: int | None  # known for offset pages and the first page


def row_value(row: Any) -> Any:
    if hasattr(row, GROUP):
        return (getattr(row, GROUP), getattr(row, KEY))
    return getattr(row, KEY)


def _cursor(row: Any) -> str:
    return cursor_encode(row_value(row), row.pk)


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
        rows = _seek(qs, value, pk, descending=descending, nullable=nullable, limit=size + 1)
        return _page(rows[:size], len(rows) > size, True, None)
    if before_cursor is not None or last:
        if before_cursor is not None:
            value, pk = before_cursor
            rows = _seek(
                qs, value, pk, descending=not descending, nullable=nullable, limit=size + 1
            )
        else:
            rows = list(ordered(qs, descending=not descending)[: size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        return _page(rows, before_cursor is not None, more, 1 if not more else None)
    if number > 1:
        # Offset pages: find the row just before the page with a narrow query (key and pk
        # only: no joins, no wide rows, often index-only), then seek from it.
        skip = (number - 1) * size
        keys = _keys(qs)
        narrow = ordered(qs, descending=descending).values_list(*keys, "pk")
        boundary = list(narrow[skip - 1 : skip])
        if not boundary:
            return _page([], False, True, number)
        *values, pk = boundary[0]
        value = tuple(values) if len(values) == 2 else values[0]
        rows = _seek(qs, value, pk, descending=descending, nullable=nullable, limit=size + 1)
        return _page(rows[:size], len(rows) > size, True, number)
    rows = list(ordered(qs, descending=descending)[: size + 1])
    return _page(rows[:size], len(rows) > size, False, 1)
