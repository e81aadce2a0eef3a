"""Our migrate shortcut builds exactly what Django's stock executor builds in a company schema.

The stock migration runs in a process of its own, outside any transaction, as
`migrate_schemas` runs it: a migration that cannot run in a transaction (CREATE INDEX
CONCURRENTLY) would fail inside a test's. The scratch schema is dropped at the end.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test.utils import override_settings
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.tenants.db import connection
from tests.catalog import catalog_differences
from tests.processes import run_python

STOCK_MIGRATE = "django.core.management.commands.migrate.Command"
SCHEMA = "stock_check"


def _migration_records(schema: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        return [list(row) for row in cursor.fetchall()]


def stock_check() -> None:
    """Run in the child process: migrate SCHEMA the stock way, compare it with the template."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE; CREATE SCHEMA "{SCHEMA}"')
    try:
        with override_settings(TENANT_BASE_MIGRATE_COMMAND=STOCK_MIGRATE):
            call_command(
                MigrateSchemasCommand(), schema_name=SCHEMA, interactive=False, verbosity=0
            )
        connection.set_schema_to_public()
        report = {
            "differences": repr(catalog_differences(SCHEMA, "_template")),
            "records": _migration_records(SCHEMA),
            "template_records": _migration_records("_template"),
        }
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    print(json.dumps(report))  # the test reads it from stdout


@pytest.mark.slow
@pytest.mark.django_db  # the migration itself runs in its own process and commits
def test_stock_migrations_and_our_shortcut_build_the_same_schema() -> None:
    # given a schema migrated the slow, stock way (about a minute with dj-stripe installed)
    result = run_python(
        "import django; django.setup()\n"
        "from tests.shared_apps.tenants.test_migrate_command import stock_check\n"
        "stock_check()\n",
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # then it equals the template, which `migrate_schemas` built with the shortcut
    assert report["differences"] == "{}"
    assert report["records"] == report["template_records"]
