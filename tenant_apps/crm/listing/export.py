"""CSV export of a list: the visible columns, every filtered row in the list's order.

UTF-8 with a byte order mark (Excel then reads Cyrillic correctly). A cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so a spreadsheet shows it as
text instead of running it as a formula (CSV injection).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from tenant_apps.crm.listing.columns import Column, text

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file whose `write` returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([cell_safe(str(c.label)) for c in columns])
    for row in rows:
        yield writer.writerow([cell_safe(text(c.value(row))) for c in columns])
