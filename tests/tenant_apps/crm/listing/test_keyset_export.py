"""Cursor encoding and CSV cell escaping."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from tenant_apps.crm.listing.export import cell_safe
from tenant_apps.crm.listing.keyset import BadCursor, cursor_decode, cursor_encode


@pytest.mark.parametrize(
    "value",
    [
        None,
        "петров",
        7,
        2.5,
        True,
        Decimal("10.50"),
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 2, 29, 10, 0, tzinfo=datetime.UTC),
    ],
)
def test_cursor_round_trip(value: object) -> None:
    assert cursor_decode(cursor_encode(value, 42)) == (value, 42)


@pytest.mark.parametrize(
    "raw", ["", "%%", "bm90IGpzb24", "WzEsMl0x", "W251bGwsIjEiXQ", "W3siZCI6MX0sMV0"]
)
def test_bad_cursors(raw: str) -> None:
    with pytest.raises(BadCursor):
        cursor_decode(raw)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+359", "'+359"),
        ("-5", "'-5"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("Иван", "Иван"),
        ("", ""),
    ],
)
def test_formula_cells_are_prefixed(value: str, safe: str) -> None:
    assert cell_safe(value) == safe
