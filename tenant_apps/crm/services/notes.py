"""Notes on an organization, a contact and/or a deal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Note, Organization
from tenant_apps.crm.services.activities import deal_touch
from tenant_apps.crm.services.common import created_changes, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_LINKS = ("organization", "contact", "deal")


@transaction.atomic
def note_create(
    *,
    actor: User,
    body: str,
    pinned: bool = False,
    organization: Organization | None = None,
    contact: Contact | None = None,
    deal: Deal | None = None,
) -> Note:
    crm_access(actor=actor, action="create")
    note = Note(body=body, pinned=pinned, organization=organization, contact=contact, deal=deal)
    full_clean(note)
    note.save()
    deal_touch(note.deal_id)
    record_audit(
        actor=actor,
        action="crm.note.created",
        target=note,
        changes=created_changes(note, ["body", "pinned", *_LINKS]),
    )
    return note
