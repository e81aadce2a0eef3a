"""A task the test worker loads with `--include`: it reports where it ran."""

from __future__ import annotations

from saas.celery import app
from shared_apps.tenants.db import connection
from shared_apps.tenants.dispatch import CompanyTask
from tenant_apps.history.models import AuditEvent


@app.task(base=CompanyTask, name="tests.probe_schema")
def probe_schema(marker: str) -> dict[str, object]:
    AuditEvent.objects.create(action="probe", object_type="probe", object_id=marker)
    return {
        "schema": connection.schema_name,
        "rows": AuditEvent.objects.filter(action="probe", object_id=marker).count(),
    }
