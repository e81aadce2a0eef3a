"""Walk the company apps' migration history and check provisioning at every step of it.

A scratch schema is migrated one migration at a time, in the order `migrate_schemas` applies
them. After each migration of a company app that can change the schema (anything but
RunPython-only data migrations), the scratch schema's DDL is rendered as provisioning renders
the template's, replayed into a copy, and the two catalogs are compared (tests/catalog.py).
So a migration that adds an object the renderer drops, or one it renders wrongly, fails here
even after later migrations have removed it again.

It runs in a process of its own (`main()`, from tests/shared_apps/tenants/
test_schema_history.py): migrations run outside a transaction there, as they do in
`migrate_schemas` (a non-atomic migration, e.g. CREATE INDEX CONCURRENTLY, would fail inside
a test's transaction), and the scratch schemas are dropped at the end.
"""

from __future__ import annotations

import json
import time

from django.db import transaction
from django.db.migrations.migration import Migration
from django.db.migrations.operations import RunPython
from django.db.migrations.recorder import MigrationRecorder

from shared_apps.tenants.db import connection
from shared_apps.tenants.migrate_command import CompanySchemaExecutor, runs_in_company_schemas
from shared_apps.tenants.schema_render import quote, render_schema
from tests.catalog import catalog_differences

SCRATCH = "zz_history"
COPY = "zz_history_copy"


def changes_schema(migration: Migration) -> bool:
    return any(not isinstance(operation, RunPython) for operation in migration.operations)


def _drop_scratch() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in (SCRATCH, COPY):
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")


def compare_copy(schema: str, copy: str) -> dict[str, tuple[list, list]]:
    """Render `schema`, replay it into `copy` and compare their catalogs; nothing is kept."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('search_path')")
            search_path = cursor.fetchone()[0]
            ddl, data_sql = render_schema(cursor, schema)
            cursor.execute(
                f"CREATE SCHEMA {quote(copy)}; SET LOCAL search_path TO {quote(copy)};\n"
                + ddl
                + data_sql
            )
            cursor.execute("SELECT set_config('search_path', %s, true)", [search_path])
        differences = catalog_differences(copy, schema)
        transaction.set_rollback(True)
    return differences


def walk() -> dict:
    started = time.perf_counter()
    _drop_scratch()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(SCRATCH)}")
    # As django-tenants' run_migrations(): the recorder's table first, in the schema alone.
    connection.set_schema(SCRATCH, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema(SCRATCH)
    compared: list[str] = []
    failures: list[dict] = []
    try:
        executor = CompanySchemaExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
        state = executor._create_project_state(with_applied_migrations=False)  # type: ignore[attr-defined]
        for migration, _backwards in plan:
            state = executor.apply_migration(state, migration)
            if runs_in_company_schemas(migration.app_label) and changes_schema(migration):
                label = f"{migration.app_label}.{migration.name}"
                compared.append(label)
                try:
                    differences = compare_copy(SCRATCH, COPY)
                except Exception as exc:  # a refusal or a replay error, reported per step
                    failures.append({"after": label, "error": f"{type(exc).__name__}: {exc}"})
                    continue
                if differences:
                    failures.append({"after": label, "differences": repr(differences)[:4000]})
    finally:
        _drop_scratch()
    return {
        "compared": compared,
        "failures": failures,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    print(json.dumps(walk()))  # the test reads it from stdout
