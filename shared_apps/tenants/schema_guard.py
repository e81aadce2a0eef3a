"""What the template renderer refuses: every object of the schema it cannot copy, by name.

`schema_render.render_schema()` copies tables, columns (with their storage settings),
sequences, constraints, indexes, views, functions, triggers, row-level security policies,
extended statistics, storage options and comments. Everything else that PostgreSQL's catalog
holds for the schema is listed here, so that a migration adding it fails `migrate_schemas`
loudly instead of giving new companies a schema that differs from the migrated ones.

Objects are found through `pg_depend` (every object of a schema depends on the schema; every
rule, trigger, policy, default and constraint depends on its table), so a kind of object
nobody thought of is refused too, not skipped.
"""

from __future__ import annotations

from django.db.backends.utils import CursorWrapper

# Catalogs whose objects directly inside the schema the renderer handles (pg_type only for
# the row types of tables and views, checked below).
_NAMESPACE_MEMBERS = """
SELECT pg_describe_object(dep.classid, dep.objid, dep.objsubid)
FROM pg_depend dep
WHERE dep.refclassid = 'pg_namespace'::regclass AND dep.refobjid = %(schema)s::regnamespace
  AND dep.classid NOT IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass,
                          'pg_statistic_ext'::regclass)
"""

# Objects attached to the schema's tables (rules, publications, ...) the renderer does not know.
_TABLE_DEPENDENTS = """
SELECT DISTINCT pg_describe_object(dep.classid, dep.objid, dep.objsubid)
FROM pg_depend dep
JOIN pg_class c ON c.oid = dep.refobjid AND dep.refclassid = 'pg_class'::regclass
WHERE c.relnamespace = %(schema)s::regnamespace
  AND dep.classid NOT IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_constraint'::regclass,
                          'pg_attrdef'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass,
                          'pg_rewrite'::regclass, 'pg_statistic_ext'::regclass)
"""

_SPECIFIC = """
SELECT 'relation ' || c.relname || ' of kind ' || c.relkind::text
  FROM pg_class c
 WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind NOT IN ('r', 'v', 'm', 'S', 'i')
UNION ALL
SELECT 'partition or inheritance child ' || c.relname
  FROM pg_class c
 WHERE c.relnamespace = %(schema)s::regnamespace
   AND (c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid))
UNION ALL
SELECT 'table ' || c.relname || ' using access method ' || am.amname
  FROM pg_class c JOIN pg_am am ON am.oid = c.relam
 WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'm')
   AND am.amname <> 'heap'
UNION ALL
SELECT 'column settings of materialized view ' || c.relname || '.' || a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind = 'm' AND a.attnum > 0
   AND (a.attstattarget <> -1 OR a.attcompression <> ''
        OR EXISTS (SELECT 1 FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\\_%%'))
UNION ALL
SELECT 'type ' || t.typname
  FROM pg_type t
 WHERE t.typnamespace = %(schema)s::regnamespace AND t.typrelid = 0
   AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0
                   AND e.typnamespace = t.typnamespace)
UNION ALL
SELECT 'rule ' || r.rulename || ' on ' || c.relname
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
 WHERE c.relnamespace = %(schema)s::regnamespace
   AND NOT (r.rulename = '_RETURN' AND c.relkind IN ('v', 'm'))
UNION ALL
SELECT 'aggregate or C function ' || p.proname
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = %(schema)s::regnamespace
   AND (p.prokind = 'a' OR l.lanname IN ('c', 'internal'))
UNION ALL
SELECT 'function ' || p.proname || ' naming the schema ' || %(schema)s::text || ' itself'
  FROM pg_proc p
 WHERE p.pronamespace = %(schema)s::regnamespace
   AND (position(%(schema)s IN p.prosrc) > 0
        OR position(%(schema)s IN coalesce(array_to_string(p.proconfig, ' '), '')) > 0)
UNION ALL
SELECT 'extension member ' || pg_describe_object(dep.classid, dep.objid, dep.objsubid)
  FROM pg_depend dep
  JOIN pg_depend ns ON ns.classid = dep.classid AND ns.objid = dep.objid
 WHERE dep.deptype = 'e' AND ns.refclassid = 'pg_namespace'::regclass
   AND ns.refobjid = %(schema)s::regnamespace
UNION ALL
SELECT 'comment on ' || pg_describe_object(d.classoid, d.objoid, d.objsubid)
  FROM pg_description d
 WHERE d.classoid IN ('pg_type'::regclass, 'pg_rewrite'::regclass)
   AND (pg_identify_object(d.classoid, d.objoid, d.objsubid)).schema = %(schema)s
UNION ALL
SELECT 'security label on ' || pg_describe_object(l.classoid, l.objoid, l.objsubid)
  FROM pg_seclabel l
 WHERE (pg_identify_object(l.classoid, l.objoid, l.objsubid)).schema = %(schema)s
"""

# Grants that differ from what an owner gets by default (the copy would not have them).
_GRANTS = """
SELECT 'grants on ' || c.relname
  FROM pg_class c
 WHERE c.relnamespace = %(schema)s::regnamespace AND c.relacl IS NOT NULL
   AND c.relacl <> acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
UNION ALL
SELECT 'grants on column ' || c.relname || '.' || a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(schema)s::regnamespace AND a.attacl IS NOT NULL
   AND a.attacl <> '{}'
UNION ALL
SELECT 'grants on function ' || p.proname
  FROM pg_proc p
 WHERE p.pronamespace = %(schema)s::regnamespace AND p.proacl IS NOT NULL
   AND p.proacl <> acldefault('f', p.proowner)
UNION ALL
SELECT 'grants on schema ' || n.nspname
  FROM pg_namespace n
 WHERE n.oid = %(schema)s::regnamespace AND n.nspacl IS NOT NULL
   AND n.nspacl <> acldefault('n', n.nspowner)
UNION ALL
SELECT 'default privileges in schema ' || %(schema)s::text
  FROM pg_default_acl d WHERE d.defaclnamespace = %(schema)s::regnamespace
"""


def unsupported_objects(cursor: CursorWrapper, schema: str) -> list[str]:
    """Everything in `schema` the renderer cannot copy, described by PostgreSQL; empty if none.

    Grants are refused rather than copied: a company schema belongs to the role that
    provisions it, and privileges for other roles are an operator's decision, not a
    migration's (see docs/architecture.md).
    """
    found: list[str] = []
    for sql in (_NAMESPACE_MEMBERS, _TABLE_DEPENDENTS, _SPECIFIC, _GRANTS):
        cursor.execute(sql, {"schema": schema})
        found.extend(row[0] for row in cursor.fetchall())
    return sorted(set(found))
