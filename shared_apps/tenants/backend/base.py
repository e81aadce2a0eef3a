"""django-tenants' backend, minus the `SET search_path` a pooled connection does not need.

With Django's connection pool every request borrows a connection and the wrapper forgets
which path it set (django-tenants resets that on `set_tenant` and on close), so the stock
backend sends one `SET search_path` per request even when the borrowed connection already
has exactly that path. Here the path a connection really has is remembered on the psycopg
connection itself, and the SET is skipped when it already matches.

Only a path PostgreSQL can no longer take back is remembered: one set outside any
transaction (autocommit, which is how Django runs outside `atomic`). A SET inside a
transaction or savepoint is reverted by its rollback, including a rollback the pool does
on a connection returned mid-transaction, which this wrapper never sees. So the
remembered value is dropped before every SET and written back only when the connection
is idle afterwards (the SET committed). And it is trusted only while the connection is
idle, outside any transaction: there nothing else (a `SET LOCAL`, a rollback) can have
changed the session's path since. Inside a transaction the stock rules apply. A
session-level SET issued by hand through a raw cursor would bypass this; the project only
ever uses `SET LOCAL` (reverted at the end of its transaction), see
shared_apps/tenants/schema_template.py.
"""

from __future__ import annotations

from typing import Any

from django_tenants.postgresql_backend import base as tenants_base
from django_tenants.utils import get_limit_set_calls
from psycopg import pq

# The attribute on the psycopg connection: the committed search_path, as a tuple.
SEARCH_PATH_ATTRIBUTE = "_saas_search_path"


def committed_search_path(raw: Any) -> tuple[str, ...] | None:
    return getattr(raw, SEARCH_PATH_ATTRIBUTE, None)


class DatabaseWrapper(tenants_base.DatabaseWrapper):
    search_path_set_schemas: list[str] | None

    def _handle_search_path(self, cursor: Any = None) -> None:
        if self._setting_search_path:
            return  # re-entered while getting the cursor for the SET
        limit = get_limit_set_calls()
        if limit and self.search_path_set_schemas:
            return
        raw = self.connection  # _cursor() has connected before it calls this
        idle = raw.info.transaction_status == pq.TransactionStatus.IDLE
        if limit and self.schema_name and idle:
            wanted = tuple(self._get_cursor_search_paths())
            if committed_search_path(raw) == wanted:
                self.search_path_set_schemas = list(wanted)
                return
        setattr(raw, SEARCH_PATH_ATTRIBUTE, None)
        super()._handle_search_path(cursor)
        # Remembered only if it committed (the connection is idle): then no rollback takes it back.
        if (
            self.search_path_set_schemas
            and raw.info.transaction_status == pq.TransactionStatus.IDLE
        ):
            setattr(raw, SEARCH_PATH_ATTRIBUTE, tuple(self.search_path_set_schemas))
