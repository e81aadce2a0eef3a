"""Records deleted more than 30 days ago are removed for good by the daily purge; newer
deletions stay restorable, and the other company is never touched."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Deal, Note, Organization
from tenant_apps.crm.services import (
    activity_create,
    contact_create,
    contact_delete,
    deal_delete,
    note_create,
    organization_create,
    organization_delete,
)
from tenant_apps.crm.services.purge import deleted_records_purge
from tenant_apps.crm.tasks import deleted_records_purge_all, deleted_records_purge_task
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import make_deals, member_of

pytestmark = pytest.mark.django_db

LATER = timezone.now() + datetime.timedelta(days=31)


def _age(record: Organization | Contact | Deal, days: int) -> None:
    type(record).objects.filter(pk=record.pk).update(
        deleted_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_only_records_past_the_window_go(in_alpha: Company, admin: User) -> None:
    old = organization_create(actor=admin, name="Old Ltd")
    recent = organization_create(actor=admin, name="Recent Ltd")
    live = organization_create(actor=admin, name="Live Ltd")
    organization_delete(organization=old, actor=admin)
    organization_delete(organization=recent, actor=admin)
    _age(old, 31)
    _age(recent, 29)

    assert deleted_records_purge() == 1

    assert not Organization.objects.filter(pk=old.pk).exists()
    assert set(Organization.objects.values_list("pk", flat=True)) >= {recent.pk, live.pk}
    event = AuditEvent.objects.get(action="crm.organization.purged", object_id=str(old.pk))
    assert event.actor is None
    # the record's earlier history stays
    assert AuditEvent.objects.filter(
        object_id=str(old.pk), action="crm.organization.deleted"
    ).exists()


def test_shared_activities_and_notes_lose_only_the_link(in_alpha: Company, admin: User) -> None:
    org = organization_create(actor=admin, name="Keeps Ltd")
    contact = contact_create(actor=admin, first_name="Gone", last_name="Soon")
    shared = activity_create(
        actor=admin, kind="call", subject="Shared", contact=contact, organization=org
    )
    own = activity_create(actor=admin, kind="call", subject="Only contact", contact=contact)
    shared_note = note_create(actor=admin, body="shared", contact=contact, organization=org)
    own_note = note_create(actor=admin, body="own", contact=contact)
    contact_delete(contact=contact, actor=admin)

    assert deleted_records_purge(now=LATER) == 1

    assert not Contact.objects.filter(pk=contact.pk).exists()
    shared.refresh_from_db()
    assert shared.contact_id is None
    assert shared.organization_id == org.pk
    shared_note.refresh_from_db()
    assert shared_note.contact_id is None
    assert shared_note.organization_id == org.pk
    assert not Activity.objects.filter(pk=own.pk).exists()
    assert not Note.objects.filter(pk=own_note.pk).exists()


def test_deals_and_a_purged_organization(in_alpha: Company, admin: User) -> None:
    deal, kept = make_deals(2)
    org = deal.organization
    assert org is not None
    deal_delete(deal=deal, actor=admin)
    organization_delete(organization=org, actor=admin)

    assert deleted_records_purge(now=LATER) == 2

    assert not Deal.objects.filter(pk=deal.pk).exists()
    kept.refresh_from_db()
    assert kept.organization_id is None  # a live deal stays, without the organization


def test_each_company_purges_only_its_own_records(alpha: Company, beta: Company) -> None:
    with schema_context("beta"):
        beta_admin = member_of(beta, "admin")
        beta_org = organization_create(actor=beta_admin, name="Beta Old")
        organization_delete(organization=beta_org, actor=beta_admin)
        _age(beta_org, 40)
    with schema_context("alpha"):
        deleted_records_purge_task.apply()
    with schema_context("beta"):
        assert Organization.objects.filter(pk=beta_org.pk).exists()
        deleted_records_purge_task.apply()
        assert not Organization.objects.filter(pk=beta_org.pk).exists()


def test_the_daily_dispatcher_reaches_every_company(
    alpha: Company, beta: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings

    sent: list[str] = []

    def fake_apply_async(*args: object, **kwargs: object) -> None:
        from shared_apps.tenants.db import connection

        sent.append(connection.schema_name)

    monkeypatch.setattr(deleted_records_purge_task, "apply_async", fake_apply_async)
    assert deleted_records_purge_all.apply().result == len(sent)
    assert {"alpha", "beta"} <= set(sent)
    entry = settings.CELERY_BEAT_SCHEDULE["crm-deleted-records-purge"]
    assert entry["task"] == deleted_records_purge_all.name
