"""The dashboard's first steps for a new company: add an organization, a contact and a deal,
invite a teammate, set up the pipeline. Each step is done when the data says so (one query of
EXISTS tests, whatever the company holds); a person can hide the list for themselves, and it
goes away once every step is done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from shared_apps.accounts.models import Invitation, Membership
from shared_apps.accounts.permissions import Action, can
from shared_apps.tenants.models import Company
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.history.models import AuditEvent
from tenant_apps.history.services import audit_record
from tenant_apps.workspace.models import ChecklistDismissal

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@dataclass
class Step:
    key: str
    label: str
    done: bool
    url: str | None  # where to do it; None when this person cannot


@dataclass
class Checklist:
    steps: list[Step]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)


def first_steps(*, actor: User, company: Company, role: str) -> Checklist | None:
    """The checklist for `actor`, or None when it is dismissed or complete. One query."""
    teammates = Membership.objects.filter(company_id=company.pk).exclude(user_id=actor.pk)
    pipeline_edits = AuditEvent.objects.filter(
        Q(action__startswith="crm.pipeline.") | Q(action__startswith="crm.stage.")
    )
    row = (
        Company.objects.filter(pk=company.pk)
        .annotate(
            organization=Exists(Organization.objects.all()),
            contact=Exists(Contact.objects.all()),
            deal=Exists(Deal.objects.all()),
            teammate=Exists(teammates) | Exists(Invitation.objects.filter(company_id=company.pk)),
            pipeline=Exists(pipeline_edits),
            dismissed=Exists(ChecklistDismissal.objects.filter(user_id=actor.pk)),
        )
        .values("organization", "contact", "deal", "teammate", "pipeline", "dismissed")
        .first()
    )
    if row is None or row["dismissed"]:
        return None
    membership = Membership(user_id=actor.pk, company_id=company.pk, role=role)
    edits = can(membership, Action.RECORD_CREATE)
    steps = [
        Step(
            "organization",
            _("Add an organization"),
            row["organization"],
            reverse("crm:organization_create") if edits else None,
        ),
        Step(
            "contact",
            _("Add a contact"),
            row["contact"],
            reverse("crm:contact_create") if edits else None,
        ),
        Step(
            "deal", _("Create a deal"), row["deal"], reverse("crm:deal_create") if edits else None
        ),
        Step(
            "teammate",
            _("Invite a teammate"),
            row["teammate"],
            reverse("team") if can(membership, Action.TEAM_MANAGE) else None,
        ),
        Step(
            "pipeline",
            _("Set up your pipeline"),
            row["pipeline"],
            reverse("crm:settings_pipelines") if can(membership, Action.CRM_CONFIGURE) else None,
        ),
    ]
    if all(step.done for step in steps):
        return None
    return Checklist(steps)


@transaction.atomic
def checklist_dismiss(*, actor: User) -> None:
    """Hide the checklist for `actor` in the current company (any member may)."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    dismissal, created = ChecklistDismissal.objects.get_or_create(user_id=actor.pk)
    if created:
        audit_record(
            actor=actor,
            action="workspace.checklist.dismissed",
            target=dismissal,
            changes={"dismissed": [False, True]},
        )
