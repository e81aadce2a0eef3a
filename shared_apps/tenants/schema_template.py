"""The template schema: every company schema is a copy of it.

`migrate_schemas` keeps the template (`settings.TENANT_TEMPLATE_SCHEMA`) migrated. Provisioning
then replays the template's DDL, rendered once per migration state from PostgreSQL's catalog
and stored in `SchemaTemplateState`, instead of replaying migrations (Django rebuilds its whole
migration state for every schema, which grows with every migration of every app) or calling
django-tenants' `clone_schema()` SQL function (which walks the catalogs object by object and
slows down as companies accumulate).

The DDL is rendered with `search_path` set to the template alone, so PostgreSQL prints the
template's own objects unqualified and everything else (public tables, extension types)
qualified. Replayed with `search_path` set to the new schema, it builds the same objects there.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.backends.utils import CursorWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from shared_apps.tenants.db import connection
from shared_apps.tenants.models import SchemaTemplateState


class TemplateError(Exception):
    """The template schema is missing, behind the code, or holds something we cannot copy."""


def template_schema() -> str:
    return str(settings.TENANT_TEMPLATE_SCHEMA)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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


def template_status(cursor: CursorWrapper) -> TemplateStatus:
    applied = applied_template_migrations(cursor)
    pending = sorted(f"{app}.{name}" for app, name in code_migrations() - applied)
    digest = hashlib.sha256("\n".join(sorted(f"{a}.{n}" for a, n in applied)).encode()).hexdigest()
    return TemplateStatus(applied=len(applied), pending=tuple(pending), state_hash=digest)


# Rendered states by hash, per process: a state never changes once rendered.
_rendered: dict[str, SchemaTemplateState] = {}


@transaction.atomic(savepoint=False)  # SET LOCAL needs a transaction; a savepoint adds nothing
def template_state_get(cursor: CursorWrapper) -> SchemaTemplateState:
    """The rendered DDL for the template's current state; refuses a template behind the code."""
    status = template_status(cursor)
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
    state = _rendered.get(status.state_hash)
    if state is not None:
        return state
    state = SchemaTemplateState.objects.filter(state_hash=status.state_hash).first()
    if state is None:
        ddl, data_sql = render_template(cursor)
        state, _created = SchemaTemplateState.objects.get_or_create(
            state_hash=status.state_hash,
            defaults={"migrations_count": status.applied, "ddl": ddl, "data_sql": data_sql},
        )
    _rendered[status.state_hash] = state
    return state


# --- Rendering -----------------------------------------------------------------------------


_RELATIONS = """
SELECT c.oid, c.relname, c.relkind
FROM pg_class c
WHERE c.relnamespace = %s::regnamespace
ORDER BY c.oid
"""

_COLUMNS = """
SELECT a.attname,
       format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid),
       a.attidentity,
       a.attgenerated,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_CONSTRAINTS = """
SELECT con.conrelid::regclass::text, con.conname, con.contype, pg_get_constraintdef(con.oid)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
WHERE c.relnamespace = %s::regnamespace
  AND con.contype <> 'n'  -- PostgreSQL 18 lists NOT NULL here; CREATE TABLE already has it
ORDER BY con.contype = 'f', con.oid
"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = %s::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid)
ORDER BY i.indexrelid
"""

# Sequences that are not the implicit sequence of an identity column.
_SEQUENCES = """
SELECT c.relname, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle,
       (SELECT quote_ident(t.relname) || '.' || quote_ident(a.attname)
          FROM pg_depend dep
          JOIN pg_class t ON t.oid = dep.refobjid
          JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
         WHERE dep.objid = c.oid AND dep.deptype = 'a' AND dep.classid = 'pg_class'::regclass)
FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S'
  AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = c.oid AND dep.deptype = 'i')
ORDER BY c.oid
"""

# Every sequence (identity ones included), to copy its position after the data is copied.
_ALL_SEQUENCES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'S' ORDER BY c.oid
"""

_OTHER_OBJECTS = """
SELECT 'function ' || p.proname FROM pg_proc p WHERE p.pronamespace = %s::regnamespace
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t
 WHERE t.typnamespace = %s::regnamespace AND t.typtype IN ('e', 'd', 'r', 'm')
UNION ALL
SELECT 'trigger ' || tg.tgname FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
 WHERE c.relnamespace = %s::regnamespace AND NOT tg.tgisinternal
"""


def _column_sql(row: tuple) -> str:
    name, type_sql, not_null, default, identity, generated, collation = row
    parts = [quote(name), type_sql]
    if collation:
        parts.append(f"COLLATE {quote(collation)}")
    if generated == "s":
        parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
    elif identity:
        parts.append(
            "GENERATED " + ("ALWAYS" if identity == "a" else "BY DEFAULT") + " AS IDENTITY"
        )
    elif default is not None:
        parts.append(f"DEFAULT {default}")
    if not_null:
        parts.append("NOT NULL")
    return " ".join(parts)


def _unqualify_index(definition: str, schema: str) -> str:
    """pg_get_indexdef() always qualifies the table (`ON _template.t`); drop that qualifier."""
    pattern = re.compile(
        r"^(CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?)" + re.escape(_ident(schema)) + r"\."
    )
    result, count = pattern.subn(r"\1", definition, count=1)
    if count != 1:
        raise TemplateError(f"Unexpected index definition: {definition}")
    return result


def _ident(name: str) -> str:
    """How PostgreSQL prints an identifier: bare when it can be, quoted otherwise."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return quote(name)


def render_template(cursor: CursorWrapper) -> tuple[str, str]:
    """Render (ddl, data_sql) from the template's catalog; both run with the new schema first
    on search_path. Raises TemplateError for objects this renderer does not know how to copy,
    so a migration that adds one fails provisioning loudly instead of diverging quietly."""
    schema = template_schema()
    cursor.execute(f"SET LOCAL search_path TO {quote(schema)}")
    try:
        cursor.execute(_OTHER_OBJECTS, [schema, schema, schema])
        unsupported = [row[0] for row in cursor.fetchall()]
        if unsupported:
            raise TemplateError(
                "The template schema holds objects provisioning cannot copy yet: "
                + ", ".join(unsupported)
            )
        statements: list[str] = []
        cursor.execute(_SEQUENCES, [schema])
        for name, typ, start, inc, minv, maxv, cache, cycle, _owner in cursor.fetchall():
            statements.append(
                f"CREATE SEQUENCE {quote(name)} AS {typ} INCREMENT BY {inc} MINVALUE {minv} "
                f"MAXVALUE {maxv} START WITH {start} CACHE {cache}"
                + (" CYCLE" if cycle else " NO CYCLE")
            )
        cursor.execute(_RELATIONS, [schema])
        relations = cursor.fetchall()
        tables = [(oid, name) for oid, name, kind in relations if kind in ("r", "p")]
        views = [(oid, name) for oid, name, kind in relations if kind in ("v", "m")]
        for oid, name in tables:
            cursor.execute(_COLUMNS, [oid])
            columns = ",\n  ".join(_column_sql(row) for row in cursor.fetchall())
            statements.append(f"CREATE TABLE {quote(name)} (\n  {columns}\n)")
        cursor.execute(_SEQUENCES, [schema])
        for name, *_rest, owner in cursor.fetchall():
            if owner:
                statements.append(f"ALTER SEQUENCE {quote(name)} OWNED BY {owner}")
        cursor.execute(_CONSTRAINTS, [schema])
        for table, conname, _kind, definition in cursor.fetchall():
            statements.append(f"ALTER TABLE {table} ADD CONSTRAINT {quote(conname)} {definition}")
        cursor.execute(_INDEXES, [schema])
        statements.extend(_unqualify_index(row[0], schema) for row in cursor.fetchall())
        for oid, name in views:
            cursor.execute(
                "SELECT pg_get_viewdef(%s), relkind FROM pg_class WHERE oid = %s", [oid, oid]
            )
            definition, kind = cursor.fetchone()
            materialized = "MATERIALIZED " if kind == "m" else ""
            statements.append(
                f"CREATE {materialized}VIEW {quote(name)} AS {definition.rstrip(';')}"
            )

        data: list[str] = []
        for _oid, name in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(name)})")
            if cursor.fetchone()[0]:
                data.append(
                    f"INSERT INTO {quote(name)} OVERRIDING SYSTEM VALUE "
                    f"SELECT * FROM {quote(schema)}.{quote(name)}"
                )
        cursor.execute(_ALL_SEQUENCES, [schema])
        for (name,) in cursor.fetchall():
            source = f"{quote(schema)}.{quote(name)}"
            data.append(f"SELECT setval('{quote(name)}', last_value, is_called) FROM {source}")
    finally:
        # Back to what the connection wrapper believes is set.
        cursor.execute("SET LOCAL search_path TO " + connection_search_path())
    return ";\n".join(statements) + ";\n", ";\n".join(data) + (";\n" if data else "")


def connection_search_path() -> str:
    schema = connection.schema_name
    public = settings.PUBLIC_SCHEMA_NAME
    if schema == public:
        return quote(public)
    return f"{quote(schema)}, {quote(public)}"
