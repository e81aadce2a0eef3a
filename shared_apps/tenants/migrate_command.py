"""The `migrate` that django-tenants runs in each schema (TENANT_BASE_MIGRATE_COMMAND).

In a company schema the router turns every operation of a public-only app (accounts,
billing, dj-stripe, ...) into a no-op, yet Django still clones and re-renders the whole model
state around each of those operations: about a minute per schema once dj-stripe is
installed. Here such a migration only advances the (unrendered) in-memory state and is
recorded, which is
the end state the router would produce anyway (RunPython/RunSQL of those apps are skipped by
the router as well). The company apps' own migrations run exactly as before, and the public
schema is migrated by Django's unchanged executor.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.commands import migrate as django_migrate
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState


def runs_in_company_schemas(app_label: str) -> bool:
    config = apps.get_app_config(app_label)
    full_name = f"{config.__module__}.{config.__class__.__name__}"
    return config.name in settings.TENANT_APPS or full_name in settings.TENANT_APPS


class CompanySchemaExecutor(MigrationExecutor):
    def apply_migration(
        self,
        state: ProjectState,
        migration: Migration,
        fake: bool = False,
        fake_initial: bool = False,
    ) -> ProjectState:
        in_company = getattr(self.connection, "schema_name", None) not in (
            None,
            settings.PUBLIC_SCHEMA_NAME,
        )
        if not in_company or runs_in_company_schemas(migration.app_label):
            return super().apply_migration(state, migration, fake=fake, fake_initial=fake_initial)
        if self.progress_callback:
            self.progress_callback("apply_start", migration, True)
        # With rendered apps, every operation re-renders the models it touches (dj-stripe's
        # migrations alone have 1,560 RemoveField). Unrendered, it is a dict update; the
        # executor renders once again before the next migration that really runs.
        state.__dict__.pop("apps", None)
        state = migration.mutate_state(state, preserve=False)
        self.record_migration(migration)
        if self.progress_callback:
            self.progress_callback("apply_success", migration, True)
        return state


class Command(django_migrate.Command):
    def handle(self, *args: Any, **options: Any) -> Any:
        # Django's migrate builds its executor from this module-level name (the stubs do not
        # declare it, hence the module __dict__).
        names = django_migrate.__dict__
        original = names["MigrationExecutor"]
        names["MigrationExecutor"] = CompanySchemaExecutor
        try:
            return super().handle(*args, **options)
        finally:
            names["MigrationExecutor"] = original
