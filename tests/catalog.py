"""Compare schemas by their catalog (names, types, constraints, indexes, sequences)."""

from __future__ import annotations

from shared_apps.tenants.db import connection


def schema_catalog(schema: str) -> dict[str, list[tuple]]:
    """Tables/columns, constraints, indexes and sequences of a schema, names only."""
    queries = {
        "columns": """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                             a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid)
                      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                      WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
                        AND a.attnum > 0 AND NOT a.attisdropped""",
        "constraints": """SELECT conrelid::regclass::text, conname, contype,
                                 regexp_replace(pg_get_constraintdef(oid), '\\w+\\.', '', 'g')
                          FROM pg_constraint WHERE connamespace = %s::regnamespace""",
        "indexes": """SELECT tablename, indexname, regexp_replace(indexdef, ' ON \\w+\\.', ' ON ')
                      FROM pg_indexes WHERE schemaname = %s""",
        "sequences": """SELECT sequencename, data_type::text, start_value, increment_by
                        FROM pg_sequences WHERE schemaname = %s""",
    }
    result = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(f"SET LOCAL search_path TO {schema}")
            cursor.execute(sql, [schema])
            result[name] = sorted(cursor.fetchall(), key=repr)
            cursor.execute("SET LOCAL search_path TO public")
    return result
