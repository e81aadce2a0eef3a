"""Activities: tasks, calls, meetings and email logs, linked to an organization, a contact
and/or a deal."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action, Authored, NotPermitted, can, can_on_some
from tenant_apps.crm.access import crm_access, members_among
from tenant_apps.crm.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CallOutcome,
    Contact,
    Deal,
    EmailDirection,
    Organization,
)
from tenant_apps.crm.models.activities import MAX_DESCRIPTION, MAX_DURATION_MINUTES
from tenant_apps.crm.services.common import (
    created_changes,
    full_clean,
    record_audit,
    validate_all,
)

if TYPE_CHECKING:
    from shared_apps.accounts.models import Membership, User

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
    call_outcome: str = "",
    duration_minutes: int | None = None,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    location: str = "",
    participant_contacts: Sequence[int] = (),
    participant_users: Sequence[int] = (),
    email_direction: str = "",
) -> Activity:
    """A task, or a call, meeting or email that is logged (see `_kind_rules` for what each
    kind needs; a call's outcome and an email's direction may be left blank, e.g. by an
    import that does not know them, and the web forms ask for both). Calls and emails
    happened, so they are saved done; a meeting is done once it has ended. Participants
    (meetings) are ids of the company's live contacts and members, refused with a field
    error when one is not. Nothing is defaulted here (not even the assignee): the web
    forms offer the current user as their initial value."""
    from tenant_apps.crm.services.common import owner_check

    crm_access(actor=actor, action=Action.RECORD_CREATE)
    activity = Activity(
        kind=kind,
        subject=subject.strip(),
        description=description,
        due_at=due_at,
        assignee=assignee,
        organization=organization,
        contact=contact,
        deal=deal,
        call_outcome=call_outcome,
        duration_minutes=duration_minutes,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location.strip(),
        email_direction=email_direction,
    )
    people: dict[str, list[int]] = {"contacts": [], "users": []}

    def participants() -> None:
        people.update(_participants_check(kind, participant_contacts, participant_users))

    validate_all(
        lambda: owner_check({"assignee": assignee}, "assignee"),
        participants,
        lambda: _clean(activity),
    )
    activity.save()
    ActivityParticipant.objects.bulk_create(
        [ActivityParticipant(activity=activity, contact_id=pk) for pk in people["contacts"]]
        + [ActivityParticipant(activity=activity, user_id=pk) for pk in people["users"]]
    )
    deal_touch(activity.deal_id)
    changes = created_changes(activity, [*_AUDITED, *_LINKS])
    if activity.done:
        changes["done"] = [None, True]
    if people["contacts"]:
        changes["participant_contacts"] = [None, people["contacts"]]
    if people["users"]:
        changes["participant_users"] = [None, people["users"]]
    record_audit(actor=actor, action="crm.activity.created", target=activity, changes=changes)
    return activity


_AUDITED = (
    "kind",
    "subject",
    "description",
    "due_at",
    "assignee",
    "call_outcome",
    "duration_minutes",
    "starts_at",
    "ends_at",
    "location",
    "email_direction",
)
_KIND_ONLY = {
    "call_outcome": ActivityKind.CALL,
    "email_direction": ActivityKind.EMAIL,
    "starts_at": ActivityKind.MEETING,
    "ends_at": ActivityKind.MEETING,
    "location": ActivityKind.MEETING,
}
MAX_PARTICIPANTS = 50
_ONLY = {
    ActivityKind.CALL: lambda: _("Only calls have this."),
    ActivityKind.MEETING: lambda: _("Only meetings have this."),
    ActivityKind.EMAIL: lambda: _("Only emails have this."),
}


def _clean(activity: Activity) -> None:
    """The kind's rules, then the model's own checks on the fields those did not refuse
    (so a wrong end is reported once, on its input, not again by the constraint)."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        _kind_rules(activity)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    try:
        full_clean(activity, exclude=list(errors))
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _kind_rules(activity: Activity) -> None:
    """What each kind needs, and what follows from it (done, a meeting's end and due time).
    Changes `activity` in place; `ValidationError` with every problem found."""
    errors: dict[str, str] = {}
    kind = activity.kind
    for name, only in _KIND_ONLY.items():
        if getattr(activity, name) not in (None, "") and kind != only:
            errors[name] = _ONLY[only]()
    duration = activity.duration_minutes
    if duration is not None:
        if kind not in (ActivityKind.CALL, ActivityKind.MEETING):
            errors["duration_minutes"] = _("Only calls and meetings have a duration.")
        elif not 0 <= duration <= MAX_DURATION_MINUTES:
            errors["duration_minutes"] = _(
                "Enter a duration from 0 to %(max)s minutes (a day)."
            ) % {"max": MAX_DURATION_MINUTES}
    if len(activity.description) > MAX_DESCRIPTION:
        errors["description"] = _("Keep it to %(max)s characters (it has %(n)s).") % {
            "max": MAX_DESCRIPTION,
            "n": len(activity.description),
        }
    if kind == ActivityKind.CALL:
        if activity.call_outcome not in ("", *CallOutcome.values):
            errors["call_outcome"] = _("Choose how the call went.")
        activity.done = True
    elif kind == ActivityKind.EMAIL:
        if activity.email_direction not in ("", *EmailDirection.values):
            errors["email_direction"] = _("Choose whether the email was sent or received.")
        activity.done = True
    elif kind == ActivityKind.MEETING:
        _meeting_times(activity, errors)
    if errors:
        raise ValidationError(errors)
    if activity.done and activity.done_at is None:
        activity.done_at = timezone.now()


def _meeting_times(activity: Activity, errors: dict[str, str]) -> None:
    """A start, and an end or a duration (either gives the other). Its due time is its
    start, so that the activities list sorts it with the tasks."""
    start, end, duration = activity.starts_at, activity.ends_at, activity.duration_minutes
    if start is None:
        errors["starts_at"] = _("Enter when the meeting starts.")
        return
    if end is None and duration is not None and 0 <= duration <= MAX_DURATION_MINUTES:
        end = activity.ends_at = start + datetime.timedelta(minutes=duration)
    if end is not None:
        if end < start:
            errors["ends_at"] = _("The end cannot be before the start.")
            return
        minutes = int((end - start).total_seconds() // 60)
        if minutes > MAX_DURATION_MINUTES:
            errors["ends_at"] = _("A meeting lasts at most a day.")
            return
        if duration is not None and duration != minutes:
            errors["duration_minutes"] = _("Give an end or a duration; these two do not match.")
            return
        activity.duration_minutes = minutes
    activity.due_at = start
    activity.done = (end or start) <= timezone.now()


def _participants_check(
    kind: str, contact_ids: Sequence[int], user_ids: Sequence[int]
) -> dict[str, list[int]]:
    """The participants' ids, in the order given without repeats, once each is known to
    be a live contact of this company or one of its members."""
    contacts = list(dict.fromkeys(int(pk) for pk in contact_ids))
    users = list(dict.fromkeys(int(pk) for pk in user_ids))
    if not contacts and not users:
        return {"contacts": [], "users": []}
    if kind != ActivityKind.MEETING:
        raise ValidationError({"participants": _("Only meetings have participants.")})
    if len(contacts) + len(users) > MAX_PARTICIPANTS:
        raise ValidationError(
            {
                "participants": _("A meeting has at most %(max)s participants.")
                % {"max": MAX_PARTICIPANTS}
            }
        )
    errors: dict[str, str] = {}
    found = set(
        Contact.objects.filter(pk__in=contacts, deleted_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if set(contacts) - found:
        errors["participant_contacts"] = _("Choose contacts of this company.")
    if set(users) - members_among(users):
        errors["participant_users"] = _("Choose members of this company.")
    if errors:
        raise ValidationError(errors)
    return {"contacts": contacts, "users": users}


@transaction.atomic
def activity_mark_done(*, activity: Activity, actor: User, done: bool = True) -> Activity:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
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

    crm_access(actor=actor, action=Action.RECORD_EDIT)
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


def activity_may_delete(*, activity: Activity, membership: Membership) -> bool:
    """Owners and admins delete any activity; members only those they created (whose
    creator is read only for them)."""
    if can(membership, Action.ACTIVITY_DELETE):
        return True
    if not can_on_some(membership, Action.ACTIVITY_DELETE):
        return False
    return can(membership, Action.ACTIVITY_DELETE, Authored(activity_creator_id(activity)))


@transaction.atomic
def activity_delete(*, activity: Activity, actor: User) -> None:
    """Delete for good (activities have no bin). Owners and admins may delete any
    activity; a member only one they created themselves."""
    membership = crm_access(actor=actor, action=Action.CRM_VIEW)
    current = Activity.objects.select_for_update().filter(pk=activity.pk).first()
    if current is None:
        return
    if not activity_may_delete(activity=current, membership=membership):
        raise NotPermitted(Action.ACTIVITY_DELETE)
    created = created_changes(current, ["kind", "subject", "due_at", "assignee", *_LINKS])
    changes = {name: [pair[1], None] for name, pair in created.items()}
    record_audit(actor=actor, action="crm.activity.deleted", target=current, changes=changes)
    current.delete()
