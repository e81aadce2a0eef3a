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
