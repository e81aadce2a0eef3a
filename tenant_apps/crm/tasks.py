"""CRM background work: due-task reminders, every minute, fanned out one task per company."""

from __future__ import annotations

from saas.celery import app
from shared_apps.tenants.dispatch import CompanyTask, for_each_company
from tenant_apps.crm.services.notifications import task_reminders_send


@app.task(base=CompanyTask, name="crm.task_reminders")
def task_reminders() -> int:
    """Reminders for the tasks of the current company that have come due."""
    return task_reminders_send()


@app.task(name="crm.task_reminders_all")
def task_reminders_all() -> int:
    """Beat entry (public): one `crm.task_reminders` per active company."""
    return for_each_company(task_reminders, expires=55)
