"""In-app notifications and the due-task reminders that create them.

A reminder goes out once per task and due time: `task_reminders_send` claims due tasks with
`SELECT … FOR UPDATE SKIP LOCKED` (two workers never take the same task), creates the
notification (unique per recipient, kind and activity, so a retried run cannot add a second
one), enqueues the email after commit under an idempotency key, and stamps
`reminder_sent_at` in the same transaction.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permissions import Action
from shared_apps.notifications.services import email_enqueue
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company
from shared_apps.tenants.origins import company_origin as company_origin
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Activity, ActivityKind, Notification
from tenant_apps.history.services import audit_record

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

logger = logging.getLogger(__name__)

TASK_DUE = "task_due"
TENANT_URLCONF = "saas.urls_tenant"
# One run handles at most this many tasks; the next minute's run takes the rest.
REMINDER_BATCH = 500


def activity_record_path(activity: Activity) -> str:
    """The page of the record a task belongs to: the deal, else the contact, else the
    organization."""
    if activity.deal_id is not None:
        return reverse("crm:deal_detail", args=[activity.deal_id], urlconf=TENANT_URLCONF)
    if activity.contact_id is not None:
        return reverse("crm:contact_detail", args=[activity.contact_id], urlconf=TENANT_URLCONF)
    return reverse(
        "crm:organization_detail", args=[activity.organization_id], urlconf=TENANT_URLCONF
    )


def _local(when: datetime.datetime, zone_name: str) -> str:
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, KeyError):
        zone = ZoneInfo("Europe/Sofia")
    return timezone.localtime(when, zone).strftime("%Y-%m-%d %H:%M")


def _company() -> Company | None:
    return Company.objects.filter(schema_name=connection.schema_name).first()


def task_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind the assignees of tasks that have come due (not done, not reminded yet) in the
    current company. Returns how many reminders went out. Safe to run concurrently and
    again: claimed rows are locked and skipped by other runs, and stamped before commit."""
    now = now or timezone.now()
    company = _company()
    if company is None:
        return 0
    with transaction.atomic():
        due = list(
            Activity.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee")
            .filter(
                kind=ActivityKind.TASK,
                done=False,
                reminder_sent_at__isnull=True,
                due_at__isnull=False,
                due_at__lte=now,
                assignee__isnull=False,
            )
            .order_by("due_at", "pk")[:REMINDER_BATCH]
        )
        if not due:
            return 0
        members = set(
            Membership.objects.filter(
                company_id=company.pk, user_id__in={a.assignee_id for a in due}
            ).values_list("user_id", flat=True)
        )
        origin = company_origin(company.subdomain)
        tasks_url = origin + reverse("crm:my_tasks", urlconf=TENANT_URLCONF)
        sent = 0
        notifications = []
        for activity in due:
            assignee = activity.assignee
            activity.reminder_sent_at = now
            if assignee is None or activity.assignee_id not in members or not assignee.is_active:
                continue  # a former member: nothing to send, but do not look again
            assert activity.due_at is not None
            path = activity_record_path(activity)
            notifications.append(
                Notification(
                    recipient_id=activity.assignee_id,
                    kind=TASK_DUE,
                    title=activity.subject[:300],
                    url=path,
                    activity=activity,
                )
            )
            email_enqueue(
                template="task_due",
                to_user=assignee,
                context={
                    "name": assignee.get_short_name(),
                    "subject": activity.subject,
                    "due": _local(activity.due_at, assignee.time_zone),
                    "company_name": company.name,
                    "record_url": origin + path,
                    "tasks_url": tasks_url,
                },
                idempotency_key=(
                    f"task_due:{company.schema_name}:{activity.pk}:"
                    f"{int(activity.due_at.timestamp())}:{activity.assignee_id}"
                ),
            )
            sent += 1
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        Activity.objects.bulk_update(due, ["reminder_sent_at"])
        for activity in due:
            audit_record(
                actor=None,
                action="crm.activity.reminded",
                target=activity,
                changes={"reminder_sent_at": [None, now.isoformat()]},
            )
    logger.info("task reminders: %d sent in %s", sent, company.schema_name)
    return sent


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """Mark one of the actor's own notifications read (someone else's is not found)."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    current = Notification.objects.select_for_update().get(pk=notification.pk, recipient=actor)
    if current.read_at is None:
        current.read_at = timezone.now()
        current.save(update_fields=["read_at", "updated_at"])
    return current


@transaction.atomic
def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    now = timezone.now()
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )
