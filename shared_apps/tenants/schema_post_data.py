"""What the schema renderer writes after the copied rows, as pg_dump orders it: triggers (a
trigger would fire on the copied rows), row-level security (a policy could refuse them),
extended statistics and comments (on every kind of object, triggers and policies included).
"""

from __future__ import annotations

from django.db.backends.utils import CursorWrapper

from shared_apps.tenants.schema_sql import quote, string_literal, unqualify

_TRIGGERS = """
SELECT pg_get_triggerdef(tg.oid), tg.tgname, tg.tgrelid::regclass::text, tg.tgenabled
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
WHERE c.relnamespace = %s::regnamespace AND NOT tg.tgisinternal
ORDER BY tg.oid
"""

_TRIGGER_STATE = {
    "D": "DISABLE TRIGGER",
    "R": "ENABLE REPLICA TRIGGER",
    "A": "ENABLE ALWAYS TRIGGER",
}

_POLICIES = """
SELECT pol.polname, pol.polrelid::regclass::text, pol.polpermissive, pol.polcmd,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END
               FROM unnest(pol.polroles) r),
       pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
WHERE c.relnamespace = %s::regnamespace
ORDER BY pol.oid
"""

_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}

_STATISTICS = """
SELECT pg_get_statisticsobjdef(s.oid), quote_ident(s.stxname), s.stxstattarget
FROM pg_statistic_ext s WHERE s.stxnamespace = %s::regnamespace ORDER BY s.oid
"""

_COMMENTS = """
SELECT 'COMMENT ON ' || CASE
         WHEN d.objsubid > 0
         THEN 'COLUMN ' || quote_ident(c.relname) || '.' || quote_ident(a.attname)
         ELSE CASE c.relkind WHEN 'r' THEN 'TABLE ' WHEN 'v' THEN 'VIEW '
           WHEN 'm' THEN 'MATERIALIZED VIEW ' WHEN 'S' THEN 'SEQUENCE ' WHEN 'i' THEN 'INDEX ' END
           || quote_ident(c.relname) END,
       d.description
  FROM pg_description d
  JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
 WHERE c.relnamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'COMMENT ON CONSTRAINT ' || quote_ident(con.conname) || ' ON '
       || con.conrelid::regclass::text, d.description
  FROM pg_description d
  JOIN pg_constraint con ON d.classoid = 'pg_constraint'::regclass AND con.oid = d.objoid
 WHERE con.connamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'COMMENT ON FUNCTION ' || quote_ident(p.proname) || '('
       || pg_get_function_identity_arguments(p.oid) || ')', d.description
  FROM pg_description d
  JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
 WHERE p.pronamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'COMMENT ON TRIGGER ' || quote_ident(tg.tgname) || ' ON ' || tg.tgrelid::regclass::text,
       d.description
  FROM pg_description d
  JOIN pg_trigger tg ON d.classoid = 'pg_trigger'::regclass AND tg.oid = d.objoid
  JOIN pg_class c ON c.oid = tg.tgrelid
 WHERE c.relnamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'COMMENT ON POLICY ' || quote_ident(pol.polname) || ' ON '
       || pol.polrelid::regclass::text, d.description
  FROM pg_description d
  JOIN pg_policy pol ON d.classoid = 'pg_policy'::regclass AND pol.oid = d.objoid
  JOIN pg_class c ON c.oid = pol.polrelid
 WHERE c.relnamespace = %(schema)s::regnamespace
UNION ALL
SELECT 'COMMENT ON STATISTICS ' || quote_ident(s.stxname), d.description
  FROM pg_description d
  JOIN pg_statistic_ext s ON d.classoid = 'pg_statistic_ext'::regclass AND s.oid = d.objoid
 WHERE s.stxnamespace = %(schema)s::regnamespace
"""


def _triggers_and_row_security(
    cursor: CursorWrapper, schema: str, tables: list[tuple]
) -> list[str]:
    statements = []
    cursor.execute(_TRIGGERS, [schema])
    for definition, name, table, enabled in cursor.fetchall():
        statements.append(unqualify(definition, schema, r" ON "))
        if enabled in _TRIGGER_STATE:
            statements.append(f"ALTER TABLE {table} {_TRIGGER_STATE[enabled]} {quote(name)}")
    cursor.execute(_POLICIES, [schema])
    for name, table, permissive, command, roles, qual, check in cursor.fetchall():
        sql = (
            f"CREATE POLICY {quote(name)} ON {table} "
            f"AS {'PERMISSIVE' if permissive else 'RESTRICTIVE'} "
            f"FOR {_POLICY_COMMANDS[command]} TO {', '.join(roles)}"
        )
        if qual is not None:
            sql += f" USING ({qual})"
        if check is not None:
            sql += f" WITH CHECK ({check})"
        statements.append(sql)
    for _oid, name, _kind, _persistence, _options, _toast, rls, force_rls, _ri in tables:
        if rls:
            statements.append(f"ALTER TABLE {quote(name)} ENABLE ROW LEVEL SECURITY")
        if force_rls:
            statements.append(f"ALTER TABLE {quote(name)} FORCE ROW LEVEL SECURITY")
    return statements


def _statistics(cursor: CursorWrapper, schema: str) -> list[str]:
    statements = []
    cursor.execute(_STATISTICS, [schema])
    for definition, name, target in cursor.fetchall():
        statements.append(unqualify(definition, schema, r"^CREATE STATISTICS "))
        if target is not None and target != -1:
            statements.append(f"ALTER STATISTICS {name} SET STATISTICS {target}")
    return statements


def post_data(cursor: CursorWrapper, schema: str, tables: list[tuple]) -> list[str]:
    """The statements that follow the copied rows (tables: the renderer's table rows)."""
    statements = _triggers_and_row_security(cursor, schema, tables)
    statements.extend(_statistics(cursor, schema))
    cursor.execute(_COMMENTS, {"schema": schema})
    for target, description in cursor.fetchall():
        statements.append(f"{target} IS {string_literal(description)}")
    return statements
