"""The template schema: every company schema is a copy of it.

`migrate_schemas` keeps the template (`settings.TENANT_TEMPLATE_SCHEMA`) migrated and then
renders its DDL (`template_render()`, see schema_render.py) into `SchemaTemplateState`, keyed
by the template's applied migrations and the renderer's source (`renderer_hash()`).
Provisioning replays that DDL instead of replaying migrations (Django rebuilds its whole
migration state for every schema, which grows with every migration of every app) or calling
django-tenants' `clone_schema()` SQL function (which walks the catalogs object by object and
slows down as companies accumulate).

Provisioning never renders: a sign-up is not the place to discover that the template holds
something the renderer refuses. When the stored DDL for the current key is missing (no
`migrate_schemas` since a migration or a renderer change), it refuses with an error that
says to run `migrate_schemas`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.backends.utils import CursorWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from shared_apps.tenants import schema_guard, schema_post_data, schema_render, schema_sql
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import SchemaTemplateState
from shared_apps.tenants.schema_render import TemplateError, quote, render_schema

logger = logging.getLogger(__name__)


def template_schema() -> str:
    return str(settings.TENANT_TEMPLATE_SCHEMA)


@functools.cache
def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration the code ships. Read once per process: code does not change under it."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def ensure_template_schema(cursor: CursorWrapper) -> None:
    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(template_schema())}")


def applied_template_migrations(cursor: CursorWrapper) -> frozenset[tuple[str, str]]:
    table = f"{quote(template_schema())}.django_migrations"
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    if not cursor.fetchone()[0]:
        return frozenset()
    cursor.execute(f"SELECT app, name FROM {table}")
    return frozenset((app, name) for app, name in cursor.fetchall())


@dataclass(frozen=True)
class TemplateStatus:
    applied: int
    pending: tuple[str, ...]
    state_hash: str

    @property
    def current(self) -> bool:
        return self.applied > 0 and not self.pending


@functools.cache
def renderer_hash() -> str:
    """A hash of the renderer's source. It is part of the key of the stored DDL, so any change
    to how the DDL is rendered (a fix, a newly copied kind of object) reaches new companies at
    the next `migrate_schemas`, with no version constant for anyone to forget to bump."""
    digest = hashlib.sha256()
    for module in (schema_render, schema_post_data, schema_sql, schema_guard):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def template_status(cursor: CursorWrapper) -> TemplateStatus:
    applied = applied_template_migrations(cursor)
    pending = sorted(f"{app}.{name}" for app, name in code_migrations() - applied)
    key = "\n".join([*sorted(f"{a}.{n}" for a, n in applied), f"renderer {renderer_hash()}"])
    digest = hashlib.sha256(key.encode()).hexdigest()
    return TemplateStatus(applied=len(applied), pending=tuple(pending), state_hash=digest)


# Stored states by key, per process: a key's DDL is rendered from the same migrations by the
# same renderer, so it does not change.
_rendered: dict[str, SchemaTemplateState] = {}


def _check_current(status: TemplateStatus) -> None:
    if status.applied == 0:
        raise TemplateError(
            _("The template schema “%(schema)s” is missing. Run: python manage.py migrate_schemas")
            % {"schema": template_schema()}
        )
    if status.pending:
        raise TemplateError(
            _(
                "The template schema is behind the code by %(count)d migrations "
                "(first: %(first)s). Run: python manage.py migrate_schemas"
            )
            % {"count": len(status.pending), "first": status.pending[0]}
        )


def template_rendered(cursor: CursorWrapper, status: TemplateStatus) -> bool:
    """Whether `migrate_schemas` stored DDL for this state and this renderer."""
    if status.state_hash in _rendered:
        return True
    table = f"{quote(settings.PUBLIC_SCHEMA_NAME)}.{quote(SchemaTemplateState._meta.db_table)}"
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE state_hash = %s)", [status.state_hash]
    )
    return bool(cursor.fetchone()[0])


def template_state_get(cursor: CursorWrapper) -> SchemaTemplateState:
    """The stored DDL for the template's current state; refuses a template behind the code or
    DDL that `migrate_schemas` has not rendered for this state and this renderer."""
    status = template_status(cursor)
    _check_current(status)
    state = _rendered.get(status.state_hash)
    if state is not None:
        return state
    state = SchemaTemplateState.objects.filter(state_hash=status.state_hash).first()
    if state is None:
        logger.error(
            "no template DDL stored for state %s (%d migrations, renderer %s): run migrate_schemas",
            status.state_hash[:12],
            status.applied,
            renderer_hash()[:12],
        )
        raise TemplateError(
            _(
                "The template schema's DDL has not been rendered for this version of the code. "
                "Run: python manage.py migrate_schemas"
            )
        )
    _rendered[status.state_hash] = state
    return state


@transaction.atomic
def template_render() -> SchemaTemplateState:
    """Render the template's DDL and store it under the current key (`migrate_schemas` calls
    this after migrating the template). Rendering again on every run is cheap and picks up a
    template changed outside migrations; raises TemplateError for anything it cannot copy."""
    with connection.cursor() as cursor:
        status = template_status(cursor)
        _check_current(status)
        try:
            ddl, data_sql = render_schema(cursor, template_schema())
        finally:
            # Back to what the connection wrapper believes is set.
            cursor.execute("SET LOCAL search_path TO " + connection_search_path())
    state, _created = SchemaTemplateState.objects.update_or_create(
        state_hash=status.state_hash,
        defaults={"migrations_count": status.applied, "ddl": ddl, "data_sql": data_sql},
    )
    _rendered.pop(status.state_hash, None)
    return state


def connection_search_path() -> str:
    schema = connection.schema_name
    public = settings.PUBLIC_SCHEMA_NAME
    if schema == public:
        return quote(public)
    return f"{quote(schema)}, {quote(public)}"
