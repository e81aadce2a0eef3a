"""`migrate_schemas`, extended: public first, then the template schema, then every company.

The template is what new companies are copied from, so it is migrated on every run; the
companies follow (in parallel with `--executor=multiprocessing`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.tenants.db import connection
from shared_apps.tenants.schema_template import ensure_template_schema


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        template = settings.TENANT_TEMPLATE_SCHEMA
        schema = options.get("schema_name")
        if schema:
            if schema == template:
                self._ensure_template()
            return super().handle(*args, **options)
        if not options.get("tenant"):
            super().handle(*args, **{**options, "shared": True, "tenant": False})
        if not options.get("shared"):
            self._ensure_template()
            super().handle(*args, **{**options, "schema_name": template, "shared": False})
            super().handle(*args, **{**options, "shared": False, "tenant": True})
        return None

    def _ensure_template(self) -> None:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            ensure_template_schema(cursor)
