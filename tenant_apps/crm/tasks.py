"""CRM background work, fanned out one task per company: due-task reminders every minute,
and a daily purge of records deleted more than 30 days ago."""

from __future__ import annotations

from saas.celery import app
from shared_apps.tenants.dispatch import CompanyTask, Work, for_each_company
from tenant_apps.crm.services.notifications import task_reminders_send
from tenant_apps.crm.services.purge import deleted_records_purge


@app.task(base=CompanyTask, name="crm.task_reminders")
def task_reminders() -> int:
    """Reminders for the tasks of the current company that have come due."""
    return task_reminders_send()


@app.task(name="crm.task_reminders_all")
def task_reminders_all() -> int:
    """Beat entry (public): one `crm.task_reminders` per company whose billing state gets
    reminders (shared_apps/tenants/dispatch.py, WORK_BY_BILLING_STATE)."""
    return for_each_company(task_reminders, work=Work.TASK_REMINDERS, expires=55)


@app.task(base=CompanyTask, name="crm.deleted_records_purge")
def deleted_records_purge_task() -> int:
    """Remove the current company's records deleted more than 30 days ago."""
    return deleted_records_purge()


@app.task(name="crm.deleted_records_purge_all")
def deleted_records_purge_all() -> int:
    """Beat entry (public): one `crm.deleted_records_purge` per company whose billing state
    gets it (WORK_BY_BILLING_STATE)."""
    return for_each_company(
        deleted_records_purge_task, work=Work.DELETED_RECORDS_PURGE, expires=3600
    )
