"""The notifications inbox: own notifications only, unread first, mark one / all read."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Notification
from tests.conftest import client_for
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import member_of

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


def notify(user: User, title: str, read: bool = False) -> Notification:
    contact = Contact.objects.create(last_name="C")
    activity = Activity.objects.create(kind="task", subject=title, contact=contact, assignee=user)
    return Notification.objects.create(
        recipient=user,
        kind="task_due",
        title=title,
        url=f"/contacts/{contact.pk}/",
        activity=activity,
        read_at=timezone.now() if read else None,
    )


def test_own_notifications_unread_first(in_alpha: Company, member: User) -> None:
    old_read = notify(member, "read one", read=True)
    unread = notify(member, XSS)
    notify(member_of(in_alpha, "member"), "someone else's")
    response = client_for(member).get("/tasks/notifications/")
    assert response.status_code == 200
    assert [n.pk for n in response.context["items"]] == [unread.pk, old_read.pk]
    assert response.context["unread"] == 1
    html = response.content.decode()
    assert "someone else" not in html
    assert XSS not in html
    assert "Task due: &lt;img src=x onerror=alert(1)&gt;" in html


def test_mark_one_and_all_read(in_alpha: Company, member: User) -> None:
    first, second, _third = (notify(member, f"n{i}") for i in range(3))
    client = client_for(member)
    response = client.post(f"/tasks/notifications/{first.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/tasks/notifications/"
    first.refresh_from_db()
    assert first.read_at is not None
    # "Open" marks read and goes to the task's record
    response = client.post(f"/tasks/notifications/{second.pk}/read/", {"next": "record"})
    assert response["Location"] == second.url
    response = client.post("/tasks/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=member, read_at__isnull=True).exists()


def test_someone_elses_notification_is_404(in_alpha: Company, member: User) -> None:
    theirs = notify(member_of(in_alpha, "member"), "theirs")
    assert client_for(member).post(f"/tasks/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_viewers_have_an_inbox_too(in_alpha: Company, viewer: User) -> None:
    n = notify(viewer, "for a viewer")
    client = client_for(viewer)
    assert client.get("/tasks/notifications/").status_code == 200
    assert client.post(f"/tasks/notifications/{n.pk}/read/").status_code == 302


def test_beta_notifications_never_show(alpha: Company, beta: Company, member: User) -> None:
    Membership.objects.create(user=member, company=beta, role="member")
    with schema_context("beta"):
        notify(member, "beta secret")
    with schema_context("alpha"):
        notify(member, "alpha note")
    html = client_for(member).get("/tasks/notifications/").content.decode()
    assert "alpha note" in html
    assert "beta secret" not in html


def test_query_count_is_constant(
    in_alpha: Company, member: User, django_assert_num_queries: object
) -> None:
    client = client_for(member)
    for i in range(3):
        notify(member, f"a{i}", read=bool(i % 2))
    client.get("/tasks/notifications/")
    # role; inbox; switcher
    with page_queries(PAGE_BASELINE + 3):
        client.get("/tasks/notifications/")
    for i in range(30):
        notify(member, f"b{i}", read=bool(i % 2))
    with page_queries(PAGE_BASELINE + 3):
        response = client.get("/tasks/notifications/")
    assert len(response.context["items"]) == 33
