"""Render a schema's DDL from PostgreSQL's catalog, to build an identical schema elsewhere.

The DDL is rendered with `search_path` set to the source schema alone, so PostgreSQL prints
the schema's own objects unqualified and everything else (public tables, extension types)
qualified. Replayed with `search_path` set to a new schema, it builds the same objects there.
The few catalog functions that always qualify (`pg_get_indexdef`, `pg_get_triggerdef`,
`pg_get_functiondef`, `pg_get_statisticsobjdef`) have that one qualifier removed.

What is copied: tables (unlogged ones too, with storage options and their TOAST options),
columns (defaults, identity, generated, collation, statistics target, storage, compression,
per-column options), sequences, constraints, indexes (options included), views and
materialized views (with their options), functions, triggers (and their enabled state),
row-level security (enabled/forced, policies), extended statistics, replica identity and
comments on all of these. Anything else is refused by `schema_guard.unsupported_objects()`.
As in pg_dump, triggers, row-level security, extended statistics and comments come after the
copied rows (schema_post_data.py: a trigger would fire on them, a policy could refuse them),
and function bodies are not
checked when created (a body may use a table or view created further down).

Changing this file (or schema_post_data.py, schema_sql.py, schema_guard.py) changes
`renderer_hash()`, so `migrate_schemas`
renders the DDL again even when no migration changed.
"""

from __future__ import annotations

from django.db.backends.utils import CursorWrapper

from shared_apps.tenants.schema_guard import unsupported_objects
from shared_apps.tenants.schema_post_data import post_data
from shared_apps.tenants.schema_sql import TemplateError, options_sql, quote, unqualify

__all__ = ["TemplateError", "quote", "render_schema"]


_RELATIONS = """
SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.reloptions, toast.reloptions,
       c.relrowsecurity, c.relforcerowsecurity, c.relreplident
FROM pg_class c
LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'v', 'm')
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

# Per-column settings that CREATE TABLE cannot say; only those that differ from the default.
# Options named pg_* are maintained by the server itself (it ignores attempts to set them).
_COLUMN_SETTINGS = """
SELECT * FROM (
  SELECT c.oid, a.attnum, c.relname, a.attname, a.attstattarget,
         ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_%%') AS options,
         CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END AS storage,
         CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_type t ON t.oid = a.atttypid
  WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
    AND a.attnum > 0 AND NOT a.attisdropped
) s
WHERE s.attstattarget <> -1 OR s.options <> '{}' OR s.storage IS NOT NULL
   OR s.compression IS NOT NULL
ORDER BY s.oid, s.attnum
"""

_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}

_CONSTRAINTS = """
SELECT con.conrelid::regclass::text, con.conname, con.contype, pg_get_constraintdef(con.oid),
       i.relname, i.reloptions
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class i ON i.oid = con.conindid
WHERE c.relnamespace = %s::regnamespace
  AND con.contype <> 'n'  -- PostgreSQL 18 lists NOT NULL here; CREATE TABLE already has it
ORDER BY con.contype = 'f', con.oid
"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid), t.relkind
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
WHERE c.relnamespace = %s::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                  AND con.conrelid = i.indrelid)
ORDER BY i.indexrelid
"""

_REPLICA_IDENTITY_INDEX = """
SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = %s AND i.indisreplident
"""

# Sequences that are not the implicit sequence of an identity column.
_SEQUENCES = """
SELECT c.relname, c.relpersistence, s.seqtypid::regtype::text, s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
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

# Functions whose signature uses a row type of the schema come after the tables.
_FUNCTIONS = """
SELECT pg_get_functiondef(p.oid),
       EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_type t ON t.oid = dep.refobjid
                WHERE dep.classid = 'pg_proc'::regclass AND dep.objid = p.oid
                  AND dep.refclassid = 'pg_type'::regclass AND t.typnamespace = p.pronamespace)
FROM pg_proc p WHERE p.pronamespace = %s::regnamespace ORDER BY p.oid
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


def render_schema(cursor: CursorWrapper, schema: str) -> tuple[str, str]:
    """Render (ddl, data_sql) from `schema`'s catalog; both run, in that order, with the new
    schema first on search_path. data_sql copies the rows and sequence positions, then adds
    triggers, row-level security, extended statistics and comments. Raises TemplateError
    naming every object this renderer cannot copy, so a migration that adds one fails loudly
    instead of new schemas diverging quietly.

    Runs inside the caller's transaction and leaves its search_path set to `schema`; the
    caller restores its own."""
    cursor.execute("SELECT set_config('search_path', %s, true)", [quote(schema)])
    unsupported = unsupported_objects(cursor, schema)
    if unsupported:
        raise TemplateError(
            f"The schema {schema} holds objects provisioning cannot copy: " + "; ".join(unsupported)
        )
    # Function bodies are checked when they run, not when they are created (as pg_dump does):
    # a body may use a table or view created further down.
    statements: list[str] = ["SET LOCAL check_function_bodies = off"]
    cursor.execute(_SEQUENCES, [schema])
    sequences = cursor.fetchall()
    for name, persistence, typ, start, inc, minv, maxv, cache, cycle, _owner in sequences:
        unlogged = "UNLOGGED " if persistence == "u" else ""
        statements.append(
            f"CREATE {unlogged}SEQUENCE {quote(name)} AS {typ} INCREMENT BY {inc} "
            f"MINVALUE {minv} "
            f"MAXVALUE {maxv} START WITH {start} CACHE {cache}"
            + (" CYCLE" if cycle else " NO CYCLE")
        )
    cursor.execute(_FUNCTIONS, [schema])
    functions = cursor.fetchall()
    function_sql = [
        (unqualify(definition, schema, r"^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) "), late)
        for definition, late in functions
    ]
    statements.extend(sql for sql, late in function_sql if not late)

    cursor.execute(_RELATIONS, [schema])
    relations = cursor.fetchall()
    tables = [row for row in relations if row[2] == "r"]
    views = [row for row in relations if row[2] in ("v", "m")]
    for oid, name, _kind, persistence, options, toast_options, *_rest in tables:
        cursor.execute(_COLUMNS, [oid])
        columns = ",\n  ".join(_column_sql(row) for row in cursor.fetchall())
        unlogged = "UNLOGGED " if persistence == "u" else ""
        create = f"CREATE {unlogged}TABLE {quote(name)} (\n  {columns}\n)"
        with_toast = (options_sql(options), options_sql(toast_options, "toast."))
        all_options = ", ".join(o for o in with_toast if o)
        statements.append(create + (f" WITH ({all_options})" if all_options else ""))
    statements.extend(_column_settings(cursor, schema))
    statements.extend(sql for sql, late in function_sql if late)
    for name, *_rest, owner in sequences:
        if owner:
            statements.append(f"ALTER SEQUENCE {quote(name)} OWNED BY {owner}")
    cursor.execute(_CONSTRAINTS, [schema])
    for table, conname, _kind, definition, index, index_options in cursor.fetchall():
        statements.append(f"ALTER TABLE {table} ADD CONSTRAINT {quote(conname)} {definition}")
        if index and index_options:
            statements.append(f"ALTER INDEX {quote(index)} SET ({options_sql(index_options)})")
    cursor.execute(_INDEXES, [schema])
    indexes = [
        (unqualify(definition, schema, r"^CREATE (?:UNIQUE )?INDEX \S+ ON (?:ONLY )?"), kind)
        for definition, kind in cursor.fetchall()
    ]
    statements.extend(sql for sql, kind in indexes if kind == "r")
    for oid, name, kind, _persistence, options, *_rest in views:
        cursor.execute("SELECT pg_get_viewdef(%s)", [oid])
        definition = cursor.fetchone()[0]
        materialized = "MATERIALIZED " if kind == "m" else ""
        with_options = f" WITH ({options_sql(options)})" if options else ""
        statements.append(
            f"CREATE {materialized}VIEW {quote(name)}{with_options} AS {definition.rstrip(';')}"
        )
    statements.extend(sql for sql, kind in indexes if kind != "r")  # of materialized views
    statements.extend(_replica_identity(cursor, tables))
    statements.append("SET LOCAL check_function_bodies TO DEFAULT")

    # The template's rows, then what would act on them if it came first (as pg_dump orders
    # it): triggers would fire on the copied rows, policies could refuse them.
    data: list[str] = []
    for _oid, name, *_rest in tables:
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
    data.extend(post_data(cursor, schema, tables))
    return ";\n".join(statements) + ";\n", ";\n".join(data) + (";\n" if data else "")


def _column_settings(cursor: CursorWrapper, schema: str) -> list[str]:
    statements = []
    cursor.execute(_COLUMN_SETTINGS, [schema])
    for _oid, _num, table, column, stattarget, options, storage, compression in cursor.fetchall():
        alter = f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)}"
        if stattarget is not None and stattarget != -1:
            statements.append(f"{alter} SET STATISTICS {stattarget}")
        if options:
            statements.append(f"{alter} SET ({options_sql(options)})")
        if storage:
            statements.append(f"{alter} SET STORAGE {_STORAGE[storage]}")
        if compression:
            statements.append(f"{alter} SET COMPRESSION {compression}")
    return statements


def _replica_identity(cursor: CursorWrapper, tables: list[tuple]) -> list[str]:
    """After the indexes: it may name one."""
    statements = []
    for oid, name, _kind, _persistence, _options, _toast, _rls, _force, replident in tables:
        if replident == "n":
            statements.append(f"ALTER TABLE {quote(name)} REPLICA IDENTITY NOTHING")
        elif replident == "f":
            statements.append(f"ALTER TABLE {quote(name)} REPLICA IDENTITY FULL")
        elif replident == "i":
            cursor.execute(_REPLICA_IDENTITY_INDEX, [oid])
            index = cursor.fetchone()[0]
            statements.append(f"ALTER TABLE {quote(name)} REPLICA IDENTITY USING INDEX {index}")
    return statements
