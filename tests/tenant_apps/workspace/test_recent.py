"""The dashboard's "Recent activity": real activity in words, with links, in the user's
language, never an empty → empty change, a constant number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.utils import timezone, translation

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Note, Organization
from tenant_apps.crm.recent import recent_activity
from tenant_apps.crm.services import (
    activity_create,
    activity_mark_done,
    contact_create,
    deal_create,
    deal_move_stage,
    organization_create,
    organization_update,
)
from tenant_apps.crm.timeline import record_timeline
from tenant_apps.history.models import AuditEvent
from tenant_apps.history.services import blank_pair
from tests.conftest import host_client
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.web.board.helpers import put_deal, stage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def client_for(user: User, language: str = "en") -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _bulk_activity(n: int) -> None:
    """Rows written without services (an import, the demo loader): no audit rows at all."""
    org = Organization.objects.create(name="Imported Ltd")
    Activity.objects.bulk_create(
        Activity(organization=org, kind="call", subject=f"Call {i}") for i in range(n)
    )
    Note.objects.create(organization=org, body="<p>hello</p>")


def test_feed_shows_activity_written_without_audit_rows(in_alpha: Company, member: User) -> None:
    _bulk_activity(300)

    html = client_for(member).get("/").content.decode()

    assert "Nothing has changed yet" not in html
    assert "Nothing has happened yet" not in html
    assert "added a note to" in html
    assert "Imported Ltd" in html
    assert "logged the call" in html


def test_feed_in_words_with_actor_and_links(in_alpha: Company, member: User) -> None:
    pipeline = stage("Lead").pipeline
    org = organization_create(actor=member, name="Acme")
    contact = contact_create(actor=member, first_name="Ana", last_name="Petrova")
    deal = deal_create(actor=member, name="Big <b>one</b>", pipeline=pipeline)
    deal.created_at = timezone.now() - datetime.timedelta(minutes=5)
    deal.save(update_fields=["created_at"])
    deal_move_stage(deal=deal, stage=stage("Won"), actor=member)
    task = activity_create(actor=member, kind="task", subject="Send offer", deal=deal)
    activity_mark_done(activity=task, actor=member)
    organization_update(
        organization=org, actor=member, expected_version=org.version, website="https://acme.bg"
    )

    items = recent_activity()

    kinds = [item.kind for item in items]
    assert kinds[:3] == ["crm.organization.updated", "activity.done", "activity.created"]
    assert {"deal.won", "deal.created", "contact.created", "organization.created"} <= set(kinds)
    assert all(item.actor == member.get_full_name() for item in items)
    won = next(item for item in items if item.kind == "deal.won")
    assert (won.verb, won.link_kind, won.link_id) == ("won the deal", "deal", deal.pk)
    edit = items[0]
    assert edit.verb == "edited the organization"
    assert edit.name == "Acme"
    assert "Website" in edit.detail.split(", ")
    html = client_for(member).get("/").content.decode()
    assert "Change (" not in html
    assert "crm." not in html.split('id="dash-recent"')[1]
    assert f'href="/deals/{deal.pk}/"' in html
    assert f'href="/organizations/{org.pk}/"' in html
    assert f'href="/contacts/{contact.pk}/"' in html
    assert "Big &lt;b&gt;one&lt;/b&gt;" in html


def test_logged_call_email_and_meeting_show_once_with_their_author(
    in_alpha: Company, member: User
) -> None:
    org = organization_create(actor=member, name="Acme")
    activity_create(
        actor=member, kind="call", subject="First call", call_outcome="busy", organization=org
    )
    activity_create(
        actor=member, kind="email", subject="Offer", email_direction="out", organization=org
    )
    activity_create(
        actor=member,
        kind="meeting",
        subject="Kick-off",
        starts_at=timezone.now() - datetime.timedelta(days=1),
        duration_minutes=30,
        organization=org,
    )

    items = [item for item in recent_activity() if item.kind.startswith("activity.")]

    assert sorted(item.name for item in items) == ["First call", "Kick-off", "Offer"]
    assert {item.kind for item in items} == {"activity.created"}
    assert all(item.actor == member.get_full_name() for item in items)


def test_feed_in_bulgarian(in_alpha: Company, member: User) -> None:
    organization_create(actor=member, name="Акме")
    html = client_for(member, "bg").get("/").content.decode()
    assert "добави организацията" in html


def test_no_empty_to_empty_changes_are_logged(in_alpha: Company, member: User) -> None:
    # as the forms call them: every field given, blank ones as None or ""
    org = organization_create(actor=member, name="Quiet", owner=None, website="")
    contact = contact_create(actor=member, last_name="Nobody", owner=None, job_title="")
    deal = deal_create(
        actor=member, name="Plain", pipeline=stage("Lead").pipeline, owner=None, lost_reason=""
    )

    for target in (org, contact, deal):
        event = AuditEvent.objects.get(
            action__endswith=".created",
            object_type=target._meta.label_lower,
            object_id=str(target.pk),
        )
        assert "owner" not in event.changes
        assert not [name for name, pair in event.changes.items() if blank_pair(pair)]

    # an edit that only turns a blank into another blank records nothing
    before = AuditEvent.objects.count()
    organization_update(organization=org, actor=member, expected_version=org.version, website="")
    assert AuditEvent.objects.count() == before


def test_old_empty_changes_are_not_displayed(in_alpha: Company, member: User) -> None:
    org = organization_create(actor=member, name="Legacy")
    AuditEvent.objects.create(
        actor=member,
        action="crm.organization.updated",
        object_type="crm.organization",
        object_id=str(org.pk),
        changes={"owner": [None, None], "website": ["", None]},
    )

    page = record_timeline(actor=member, record=org)

    assert all(not entry.changes for entry in page.entries if entry.action == "updated")
    assert [item.kind for item in recent_activity()] == ["organization.created"]


def test_deleted_records_and_other_companies_stay_out(
    in_alpha: Company, member: User, beta: Company
) -> None:
    from django_tenants.utils import schema_context

    put_deal("Gone", stage("Lead"), deleted_at=timezone.now())
    with schema_context("beta"):
        Contact.objects.create(last_name="Beta person")
    assert [item.name for item in recent_activity()] == []


WARM = PAGE_BASELINE + 3 + 3 + 1 + 1  # role, tasks x2; feed, authors, people; switcher; checklist


@pytest.mark.parametrize("n", [3, 60])
def test_dashboard_queries_do_not_grow_with_activities(
    in_alpha: Company, member: User, n: int, django_assert_num_queries: Callable[..., object]
) -> None:
    org = organization_create(actor=member, name="Busy")
    for i in range(n):
        activity_create(actor=member, kind="task", subject=f"C{i}", organization=org)
    client = client_for(member)
    client.get("/")  # warm caches
    with page_queries(WARM):
        assert client.get("/").status_code == 200
