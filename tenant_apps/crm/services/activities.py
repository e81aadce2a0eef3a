"""Activities: tasks, calls, meetings and email logs, linked to an organization, a contact
and/or a deal."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Activity, Contact, Deal, Organization
from tenant_apps.crm.services.common import (
    created_changes,
    full_clean,
    record_audit,
    validate_all,
)

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_LINKS = ("organization", "contact", "deal")


def deal_touch(deal_id: int | None) -> None:
    """Record activity on a deal (the board flags deals without any for 14 days). A plain
    update: it is not an edit of the deal, so its version (stale-edit check) stays."""
    if deal_id is not None:
        Deal.objects.filter(pk=deal_id).update(last_activity_at=timezone.now())


@transaction.atomic
def activity_create(
    *,
    actor: User,
    kind: str,
    subject: str,
    description: str = "",
    due_at: datetime.datetime | None = None,
    assignee: User | None = None,
    organization: Organization | None = None,
    contact: Contact | None = None,
    deal: Deal | None = None,
) -> Activity:
    from tenant_apps.crm.services.common import owner_check

    crm_access(actor=actor, action="create")
    activity = Activity(
        kind=kind,
        subject=subject.strip(),
        description=description,
        due_at=due_at,
        assignee=assignee,
        organization=organization,
        contact=contact,
        deal=deal,
    )
    validate_all(
        lambda: owner_check({"assignee": assignee}, "assignee"), lambda: full_clean(activity)
    )
    activity.save()
    deal_touch(activity.deal_id)
    record_audit(
        actor=actor,
        action="crm.activity.created",
        target=activity,
        changes=created_changes(
            activity, ["kind", "subject", "description", "due_at", "assignee", *_LINKS]
        ),
    )
    return activity


@transaction.atomic
def activity_mark_done(*, activity: Activity, actor: User, done: bool = True) -> Activity:
    crm_access(actor=actor, action="edit")
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    if current.done == done:
        return current
    current.done = done
    current.done_at = timezone.now() if done else None
    current.save(update_fields=["done", "done_at", "updated_at"])
    deal_touch(current.deal_id)
    record_audit(
        actor=actor,
        action="crm.activity.updated",
        target=current,
        changes={"done": [not done, done]},
    )
    return current


ACTIVITY_EDITABLE = ("kind", "subject", "description", "due_at", "assignee")


def _reminder_reset(activity: Activity) -> None:
    """A new due time or assignee deserves its own reminder: forget the one sent, and its
    in-app notification (one per recipient and activity)."""
    from tenant_apps.crm.models import Notification
    from tenant_apps.crm.services.notifications import TASK_DUE

    activity.reminder_sent_at = None
    Notification.objects.filter(activity=activity, kind=TASK_DUE).delete()


@transaction.atomic
def activity_update(*, activity: Activity, actor: User, **changes: object) -> Activity:
    """Edit subject, description, due time, assignee or kind (members may edit any
    activity, as they may edit records). A changed due time or assignee re-arms the
    reminder. Activities have no version: the last edit wins, and the audit row keeps it."""
    from tenant_apps.crm.services.common import fields_assign, owner_check, text_normalize

    crm_access(actor=actor, action="edit")
    current = Activity.objects.select_for_update().get(pk=activity.pk)
    values = dict(changes)
    text_normalize(values, ("subject",))
    diff = fields_assign(current, values, allowed=ACTIVITY_EDITABLE)
    validate_all(
        lambda: owner_check(values, "assignee") if "assignee" in diff else None,
        lambda: full_clean(current),
    )
    if not diff:
        return current
    if "due_at" in diff or "assignee" in diff:
        _reminder_reset(current)
    current.save()
    deal_touch(current.deal_id)
    record_audit(actor=actor, action="crm.activity.updated", target=current, changes=diff)
    return current


def activity_creator_id(activity: Activity) -> int | None:
    """Who created the activity, from its audit row (activities keep no creator column)."""
    from tenant_apps.history.models import AuditEvent

    return (
        AuditEvent.objects.filter(
            object_type="crm.activity", object_id=str(activity.pk), action="crm.activity.created"
        )
        .values_list("actor_id", flat=True)
        .first()
    )


def activity_may_delete(*, activity: Activity, actor: User, role: str) -> bool:
    """Owners and admins delete any activity; members only those they created."""
    if role in ("owner", "admin"):
        return True
    return role == "member" and activity_creator_id(activity) == actor.pk


@transaction.atomic
def activity_delete(*, activity: Activity, actor: User) -> None:
    """Delete for good (activities have no bin). Owners and admins may delete any
    activity; a member only one they created themselves."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    role = crm_access(actor=actor, action="view")
    current = Activity.objects.select_for_update().filter(pk=activity.pk).first()
    if current is None:
        return
    if not activity_may_delete(activity=current, actor=actor, role=role):
        raise PermissionDenied(
            _("Only the company's owners and admins, or whoever created it, can delete it.")
        )
    created = created_changes(current, ["kind", "subject", "due_at", "assignee", *_LINKS])
    changes = {name: [pair[1], None] for name, pair in created.items()}
    record_audit(actor=actor, action="crm.activity.deleted", target=current, changes=changes)
    current.delete()
