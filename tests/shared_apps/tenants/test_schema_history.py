"""Provisioning builds the migrated schema at every step of the company apps' history.

tests/schema_history.py migrates a scratch schema one migration at a time (in a process of
its own, outside any transaction, as `migrate_schemas` does) and, after each migration of a
company app that can change the schema, compares it with a copy provisioned from it. About
25 s for the whole history on a quiet machine; it grows by about a second per migration.
"""

from __future__ import annotations

import json

import pytest

from shared_apps.tenants.migrate_command import runs_in_company_schemas
from shared_apps.tenants.schema_template import code_migrations
from tests.processes import run_python
from tests.schema_history import changes_schema

WALK = "import django; django.setup()\nfrom tests.schema_history import main\nmain()\n"


@pytest.mark.slow
@pytest.mark.django_db  # the walk itself runs in its own process and commits
def test_every_step_of_the_company_apps_history_is_provisioned_identically() -> None:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    expected = {
        f"{app}.{name}"
        for app, name in code_migrations()
        if runs_in_company_schemas(app) and changes_schema(loader.graph.nodes[(app, name)])
    }
    result = run_python(WALK, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failures"] == []
    assert set(report["compared"]) == expected
