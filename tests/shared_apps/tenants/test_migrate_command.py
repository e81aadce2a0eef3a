"""Our migrate shortcut builds exactly what Django's stock executor builds in a company schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test.utils import override_settings
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.tenants.db import connection
from tests.catalog import schema_catalog

STOCK_MIGRATE = "django.core.management.commands.migrate.Command"


def _migration_records(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


@pytest.mark.slow
@pytest.mark.django_db
def test_stock_migrations_and_our_shortcut_build_the_same_schema() -> None:
    # given a schema migrated the slow, stock way (about a minute with dj-stripe installed)
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "stock_check"')
    with override_settings(TENANT_BASE_MIGRATE_COMMAND=STOCK_MIGRATE):
        call_command(
            MigrateSchemasCommand(), schema_name="stock_check", interactive=False, verbosity=0
        )
    connection.set_schema_to_public()
    # then it equals the template, which `migrate_schemas` built with the shortcut
    assert schema_catalog("stock_check") == schema_catalog("_template")
    assert _migration_records("stock_check") == _migration_records("_template")
