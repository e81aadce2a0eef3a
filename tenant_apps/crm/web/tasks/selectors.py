"""Reads for the tasks and notifications pages. Each is one query, whatever the number of
rows (related records come with `select_related`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Activity, ActivityKind, Contact, Deal, Notification, Organization

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

RECENTLY_DONE = 10
PICKER_SIZE = 20
INBOX_SIZE = 100
_LINKED = ("organization", "contact", "deal")


def my_open_tasks(*, actor: User) -> QuerySet[Activity]:
    """The actor's open tasks, soonest first, undated last."""
    return (
        Activity.objects.filter(kind=ActivityKind.TASK, assignee=actor, done=False)
        .select_related(*_LINKED)
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


def my_done_tasks(*, actor: User) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(kind=ActivityKind.TASK, assignee=actor, done=True)
        .select_related(*_LINKED)
        .order_by(F("done_at").desc(nulls_last=True), "-pk")[:RECENTLY_DONE]
    )


def task_get(*, pk: int) -> Activity | None:
    return Activity.objects.select_related(*_LINKED).filter(pk=pk, kind=ActivityKind.TASK).first()


def _mine_first(model: type[Organization] | type[Contact] | type[Deal], actor: User) -> QuerySet:
    return (
        model._default_manager.filter(deleted_at__isnull=True)
        .annotate(
            mine=Case(
                When(owner_id=actor.pk, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("mine", "-updated_at", "-pk")
    )


def link_choices(*, actor: User) -> dict[str, list[tuple[str, str]]]:
    """What a new task may be linked to, for the quick-add picker: the actor's own records
    first, then the most recently changed ones; `PICKER_SIZE` of each kind. Three queries.
    (The calling view has checked the actor's role.)"""
    deals = _mine_first(Deal, actor).filter(status="open").only("pk", "name")[:PICKER_SIZE]
    contacts = _mine_first(Contact, actor).only("pk", "first_name", "last_name")[:PICKER_SIZE]
    orgs = _mine_first(Organization, actor).only("pk", "name")[:PICKER_SIZE]
    return {
        "deal": [(f"deal:{d.pk}", str(d)) for d in deals],
        "contact": [(f"contact:{c.pk}", str(c)) for c in contacts],
        "organization": [(f"organization:{o.pk}", str(o)) for o in orgs],
    }


def link_resolve(value: str) -> Organization | Contact | Deal | None:
    """`"deal:12"` → that live deal (or contact, organization); None when there is none."""
    kind, _sep, raw = value.partition(":")
    models: dict[str, type[Organization] | type[Contact] | type[Deal]] = {
        "organization": Organization,
        "contact": Contact,
        "deal": Deal,
    }
    model = models.get(kind)
    if model is None or not raw.isdigit():
        return None
    return model._default_manager.filter(pk=int(raw), deleted_at__isnull=True).first()


def my_notifications(*, actor: User) -> QuerySet[Notification]:
    """The actor's notifications, unread first, newest first within each group."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return (
        Notification.objects.filter(recipient=actor)
        .select_related("activity")
        .annotate(
            read=Case(
                When(read_at__isnull=True, then=Value(0)), default=1, output_field=IntegerField()
            )
        )
        .order_by("read", "-created_at", "-pk")[:INBOX_SIZE]
    )
