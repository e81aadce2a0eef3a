"""Reads the lists need beyond `tenant_apps.crm.selectors`: activities, the company's
members for the owner filter, the tags and saved views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Activity, Contact, SavedView, Tag

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def contact_rows(*, actor: User) -> QuerySet[Contact]:
    """Live contacts with owner, organization and tags: the list shows the primary email and
    phone from the contact's own columns (crm.contact_points), not from their tables."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return (
        Contact.objects.filter(deleted_at__isnull=True)
        .select_related("owner", "organization")
        .prefetch_related("tags")
    )


def activity_list(*, actor: User) -> QuerySet[Activity]:
    """Activities with assignee and linked records (one query)."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return Activity.objects.select_related("assignee", "organization", "contact", "deal")


def member_choices(*, company_id: int) -> list[tuple[str, str]]:
    """(user id, name) for every member of the company, by name: one query in public."""
    rows = (
        Membership.objects.filter(company_id=company_id)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [(str(m.user_id), m.user.get_full_name()) for m in rows]


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.all()


def saved_views_visible(*, actor: User, entity: str) -> QuerySet[SavedView]:
    """The actor's own views of the list and those shared with the company."""
    return SavedView.objects.filter(Q(owner=actor) | Q(shared=True), entity=entity).order_by(
        "name", "id"
    )
