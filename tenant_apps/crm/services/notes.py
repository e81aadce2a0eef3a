"""Notes on an organization, a contact and/or a deal.

The body is stored as HTML cleaned by `crm.sanitize.note_clean` (a small formatting subset),
so what is saved is already safe to show. Members may edit, pin and delete notes: a note is
a comment on a record, not a record (deleting records stays with admins and owners).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Note, Organization
from tenant_apps.crm.sanitize import note_clean
from tenant_apps.crm.services.activities import deal_touch
from tenant_apps.crm.services.common import created_changes, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_LINKS = ("organization", "contact", "deal")


def _body(raw: str) -> str:
    body = note_clean(raw)
    if not body:
        raise ValidationError({"body": _("Write something first.")}, code="empty")
    return body


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
    crm_access(actor=actor, action=Action.RECORD_CREATE)
    note = Note(
        body=_body(body), pinned=pinned, organization=organization, contact=contact, deal=deal
    )
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


@transaction.atomic
def note_update(*, note: Note, actor: User, body: str) -> Note:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = Note.objects.select_for_update().get(pk=note.pk)
    new = _body(body)
    if new == current.body:
        return current
    old = current.body
    current.body = new
    full_clean(current)
    current.save(update_fields=["body", "updated_at"])
    record_audit(
        actor=actor, action="crm.note.updated", target=current, changes={"body": [old, new]}
    )
    return current


@transaction.atomic
def note_pin(*, note: Note, actor: User, pinned: bool = True) -> Note:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = Note.objects.select_for_update().get(pk=note.pk)
    if current.pinned == pinned:
        return current
    current.pinned = pinned
    current.save(update_fields=["pinned", "updated_at"])
    record_audit(
        actor=actor,
        action="crm.note.pinned" if pinned else "crm.note.unpinned",
        target=current,
        changes={"pinned": [not pinned, pinned]},
    )
    return current


@transaction.atomic
def note_delete(*, note: Note, actor: User) -> None:
    """Deleted for good; the audit row keeps the text and what it was attached to."""
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = Note.objects.select_for_update().filter(pk=note.pk).first()
    if current is None:
        return
    changes = {
        name: [value, None]
        for name, (_none, value) in created_changes(current, ["body", "pinned", *_LINKS]).items()
    }
    record_audit(actor=actor, action="crm.note.deleted", target=current, changes=changes)
    current.delete()
