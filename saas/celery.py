"""Celery app. Every task carries the schema it was enqueued from (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

from saas.logs import task_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saas.settings.dev")

app = CeleryApp("saas")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task log lines carry the enqueuing request's id, the task id and name, and the company.
task_context.connect()
