from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Note
from tenant_apps.crm.services import activity_create, activity_mark_done, note_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db

XSS = "<p onclick=alert(1)>hi</p><script>x()</script>"


def test_activity_needs_a_link(in_alpha: Company, member: User) -> None:
    with pytest.raises(ValidationError):
        activity_create(actor=member, kind="call", subject="Orphan")
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.create(kind="call", subject="Orphan")


def test_activity_assignee_and_done(in_alpha: Company, member: User, viewer: User) -> None:
    contact = Contact.objects.create(last_name="C")
    with pytest.raises(ValidationError) as exc:
        activity_create(
            actor=member, kind="task", subject="T", contact=contact, assignee=make_user()
        )
    assert "assignee" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        activity_create(actor=viewer, kind="task", subject="T", contact=contact)
    activity = activity_create(
        actor=member, kind="task", subject=XSS, contact=contact, assignee=member
    )
    activity = activity_mark_done(activity=activity, actor=member)
    assert activity.done
    assert activity.done_at is not None
    activity.refresh_from_db()
    assert activity.subject == XSS


def test_note_body_is_sanitised_before_it_is_stored(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="N")
    note = note_create(actor=member, body=XSS, contact=contact, pinned=True)
    stored = Note.objects.get(pk=note.pk)
    assert stored.body == "<p>hi</p>"
    assert stored.pinned
    with pytest.raises(ValidationError):
        note_create(actor=member, body="unlinked")
