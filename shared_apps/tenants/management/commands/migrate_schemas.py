"""`migrate_schemas`, extended: public first, then the template schema, then every company.

The template is what new companies are copied from, so it is migrated on every run and its
DDL rendered and stored for provisioning (`schema_template.template_render()`: a template
holding something provisioning cannot copy fails here, not at a sign-up); the companies
follow (in parallel with `--executor=multiprocessing`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from shared_apps.tenants.db import connection
from shared_apps.tenants.schema_template import (
    TemplateError,
    ensure_template_schema,
    template_render,
    template_status,
)


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        template = settings.TENANT_TEMPLATE_SCHEMA
        schema = options.get("schema_name")
        if schema:
            if schema != template:
                return super().handle(*args, **options)
            self._ensure_template()
            super().handle(*args, **options)
            self._render_template(options)
            return None
        if not options.get("tenant"):
            super().handle(*args, **{**options, "shared": True, "tenant": False})
        if not options.get("shared"):
            self._ensure_template()
            super().handle(*args, **{**options, "schema_name": template, "shared": False})
            self._render_template(options)
            super().handle(*args, **{**options, "shared": False, "tenant": True})
        return None

    def _ensure_template(self) -> None:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            ensure_template_schema(cursor)

    def _render_template(self, options: dict[str, Any]) -> None:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            status = template_status(cursor)
        if not status.current:  # --plan, --fake to an older state, ...: nothing to render
            self.stderr.write(
                "Template schema not at the code's migrations: DDL not rendered; "
                "provisioning refuses until it is."
            )
            return
        try:
            state = template_render()
        except TemplateError as exc:
            raise CommandError(str(exc)) from exc
        if int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(f"Template DDL rendered ({state.state_hash[:12]}).")
