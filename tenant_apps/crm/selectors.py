"""CRM reads. Each list checks that the actor may read the company's CRM and fetches related
rows in a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, ContactEmail, Deal, Organization

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def organization_list(*, actor: User, deleted: bool = False) -> QuerySet[Organization]:
    """Live organizations (or, with `deleted`, those in the bin), with owner and tags."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return (
        Organization.objects.filter(deleted_at__isnull=not deleted)
        .select_related("owner")
        .prefetch_related("tags")
    )


def contact_list(*, actor: User, deleted: bool = False) -> QuerySet[Contact]:
    """Live contacts with owner, organization, emails (primary first), phones and tags."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return (
        Contact.objects.filter(deleted_at__isnull=not deleted)
        .select_related("owner", "organization")
        .prefetch_related(
            Prefetch("emails", queryset=ContactEmail.objects.order_by("-is_primary", "id")),
            "phones",
            "tags",
        )
    )


def deal_list(*, actor: User, deleted: bool = False) -> QuerySet[Deal]:
    """Live deals with pipeline, stage, organization, owner and contacts."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return (
        Deal.objects.filter(deleted_at__isnull=not deleted)
        .select_related("owner", "pipeline", "stage", "organization")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.filter(deleted_at__isnull=True))
        )
    )
