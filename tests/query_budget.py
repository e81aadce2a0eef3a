"""What a page may cost in queries, in one place.

PAGE_BASELINE is what every signed-in request on a company host costs before the view runs:
the schema's search_path, the session, the user and the membership check. A page's budget is
written as PAGE_BASELINE + what the page itself reads, so a change to the baseline is made
here once, not in every test.

`page_queries(n)` asserts the exact count of a GET and that it wrote nothing: no INSERT,
UPDATE or DELETE (a "last seen" or a session write on every page view is a defect).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

# search_path, session, user, membership (the session's "last seen" is recorded at most
# every SESSION_ACTIVITY_INTERVAL, never within a test's warm page view).
PAGE_BASELINE = 4

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def writes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if _WRITE.match(q["sql"])]


def assert_no_writes(captured: CaptureQueriesContext) -> None:
    found = writes(captured)
    assert not found, "a GET wrote to the database:\n" + "\n".join(found)


@contextmanager
def page_queries(expected: int | None = None) -> Iterator[CaptureQueriesContext]:
    """Capture the queries of a GET: no write, and exactly `expected` queries if given."""
    with CaptureQueriesContext(connection) as captured:
        yield captured
    assert_no_writes(captured)
    if expected is not None:
        count = len(captured.captured_queries)
        assert count == expected, f"expected {expected} queries, {count} were done:\n" + (
            "\n".join(q["sql"] for q in captured.captured_queries)
        )
