"""Compare schemas by their catalog: every kind of object provisioning copies or refuses.

`schema_catalog(schema)` lists, by name and definition (never by oid), the schema's
relations with their storage options and row-level security switches, columns with their
per-column settings, constraints, indexes, sequences, views, functions, triggers, policies,
extended statistics, comments, grants, and every object PostgreSQL records as belonging to
the schema or to one of its tables (`pg_depend`), so that an object of a kind nobody listed
still makes two schemas differ. Definitions are printed with `search_path` set to the schema,
and the few that are always qualified have the schema's name removed.

Options named pg_* (attoptions) are maintained by the server per column and differ between
any two schemas; they are left out.
"""

from __future__ import annotations

from django.db import transaction

from shared_apps.tenants.db import connection

_Q = "quote_ident(%(schema)s) || '.'"

QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind, c.relpersistence, c.reloptions, t.reloptions,
               c.relrowsecurity, c.relforcerowsecurity, c.relreplident, am.amname,
               c.relispartition, c.relacl::text
        FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
        LEFT JOIN pg_am am ON am.oid = c.relam
        WHERE c.relnamespace = %(schema)s::regnamespace""",
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), co.collname,
               a.attstattarget, a.attstorage, a.attcompression, a.attacl::text,
               ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_%%')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraints": f"""
        SELECT conrelid::regclass::text, conname, contype,
               replace(pg_get_constraintdef(oid), {_Q}, '')
        FROM pg_constraint WHERE connamespace = %(schema)s::regnamespace""",
    "indexes": f"""
        SELECT tablename, indexname, replace(indexdef, {_Q}, '')
        FROM pg_indexes WHERE schemaname = %(schema)s""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size
        FROM pg_sequences WHERE schemaname = %(schema)s""",
    "views": """
        SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
        WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('v', 'm')""",
    "functions": f"""
        SELECT p.proname, replace(pg_get_functiondef(p.oid), {_Q}, ''), p.proacl::text
        FROM pg_proc p WHERE p.pronamespace = %(schema)s::regnamespace AND p.prokind <> 'a'""",
    "triggers": f"""
        SELECT tg.tgname, replace(pg_get_triggerdef(tg.oid), {_Q}, ''), tg.tgenabled
        FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
        WHERE c.relnamespace = %(schema)s::regnamespace AND NOT tg.tgisinternal""",
    "policies": """
        SELECT tablename, policyname, permissive, roles, cmd, qual, with_check
        FROM pg_policies WHERE schemaname = %(schema)s""",
    "statistics": f"""
        SELECT s.stxname, replace(pg_get_statisticsobjdef(s.oid), {_Q}, ''), s.stxstattarget
        FROM pg_statistic_ext s WHERE s.stxnamespace = %(schema)s::regnamespace""",
    "types": """
        SELECT t.typname, t.typtype FROM pg_type t
        WHERE t.typnamespace = %(schema)s::regnamespace""",
    "comments": """
        SELECT pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
        FROM pg_description d
        WHERE (pg_identify_object(d.classoid, d.objoid, d.objsubid)).schema = %(schema)s
           -- these are named by their table: pg_identify_object() gives them no schema
           OR d.objoid IN (SELECT tg.oid FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
                           WHERE c.relnamespace = %(schema)s::regnamespace
                           UNION ALL
                           SELECT p.oid FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
                           WHERE c.relnamespace = %(schema)s::regnamespace
                           UNION ALL
                           SELECT r.oid FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
                           WHERE c.relnamespace = %(schema)s::regnamespace)""",
    "grants": """
        SELECT 'schema', CASE WHEN n.nspacl IS NULL OR n.nspacl = acldefault('n', n.nspowner)
                              THEN 'default' ELSE 'granted' END
        FROM pg_namespace n WHERE n.nspname = %(schema)s
        UNION ALL
        SELECT 'default privileges', d.defaclacl::text
        FROM pg_default_acl d WHERE d.defaclnamespace = %(schema)s::regnamespace""",
    # Every object that depends on the schema or on one of its tables, whatever its kind.
    "objects": """
        SELECT dep.classid::regclass::text, pg_describe_object(dep.classid, dep.objid, 0),
               dep.deptype
        FROM pg_depend dep
        WHERE dep.refclassid = 'pg_namespace'::regclass
          AND dep.refobjid = %(schema)s::regnamespace
        UNION
        SELECT dep.classid::regclass::text, pg_describe_object(dep.classid, dep.objid, 0),
               dep.deptype
        FROM pg_depend dep
        JOIN pg_class c ON c.oid = dep.refobjid AND dep.refclassid = 'pg_class'::regclass
        WHERE c.relnamespace = %(schema)s::regnamespace
          AND NOT (dep.classid = 'pg_class'::regclass AND c.reltoastrelid = dep.objid)""",
}


def schema_catalog(schema: str) -> dict[str, list[tuple]]:
    """Every object kind of `schema` (see QUERIES), as sorted rows of names and definitions."""
    result = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        search_path = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('search_path', %s, true)", [f'"{schema}"'])
        for name, sql in QUERIES.items():
            cursor.execute(sql, {"schema": schema})
            result[name] = sorted(cursor.fetchall(), key=repr)
        cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
    return result


def catalog_differences(ours: str, theirs: str) -> dict[str, tuple[list, list]]:
    """Per object kind, the rows only in `ours` and only in `theirs`; empty when identical."""
    a, b = schema_catalog(ours), schema_catalog(theirs)
    differences = {}
    for kind in QUERIES:
        only_a = [row for row in a[kind] if row not in b[kind]]
        only_b = [row for row in b[kind] if row not in a[kind]]
        if only_a or only_b:
            differences[kind] = (only_a, only_b)
    return differences
