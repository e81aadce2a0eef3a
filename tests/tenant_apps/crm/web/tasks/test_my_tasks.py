"""My tasks: grouping by due date, quick add, done/undone (htmx and plain POST), edit,
delete, roles, bad input, isolation and query counts."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Deal, Organization
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import make_deals, member_of

pytestmark = pytest.mark.django_db

SOFIA = ZoneInfo("Europe/Sofia")
XSS = "<script>alert(1)</script>"


def at(days: int = 0, hours: int = 0) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days, hours=hours)


def make_task(assignee: User | None, subject: str = "Task", **kw: object) -> Activity:
    with schema_context("alpha"):
        if not any(k in kw for k in ("contact", "deal", "organization")):
            kw["contact"] = Contact.objects.create(last_name="Client")
        return Activity.objects.create(kind="task", subject=subject, assignee=assignee, **kw)


def group_subjects(response: object) -> dict[str, list[str]]:
    groups = response.context["groups"]  # type: ignore[attr-defined]
    return {key: [t.subject for t in tasks] for key, _label, tasks in groups}


class TestList:
    def test_groups_by_due_date_in_the_users_zone(self, alpha: Company, member: User) -> None:
        # given: the member's zone is Sofia; tasks overdue, today, upcoming, undated
        local_now = timezone.localtime(timezone.now(), SOFIA)
        end_of_today = local_now.replace(hour=23, minute=59, second=0, microsecond=0)
        make_task(member, "late", due_at=at(hours=-1))
        if end_of_today > local_now + datetime.timedelta(minutes=2):
            make_task(member, "today", due_at=end_of_today)
        make_task(member, "later", due_at=at(days=2))
        make_task(member, "someday")
        make_task(member, "finished", due_at=at(hours=-2), done=True, done_at=timezone.now())
        make_task(member_of(alpha, "member"), "not mine", due_at=at(hours=-1))
        with schema_context("alpha"):
            Activity.objects.create(
                kind="call",
                subject="a call",
                assignee=member,
                contact=Contact.objects.create(last_name="X"),
            )
        # when
        response = client_for(member).get("/tasks/")
        # then
        assert response.status_code == 200
        groups = group_subjects(response)
        assert groups["overdue"] == ["late"]
        assert groups["upcoming"] == ["later"]
        assert groups["undated"] == ["someday"]
        assert groups["today"] in ([], ["today"])
        assert [t.subject for t in response.context["done_tasks"]] == ["finished"]
        html = response.content.decode()
        assert "not mine" not in html
        assert "a call" not in html

    def test_today_uses_the_users_time_zone(self, alpha: Company) -> None:
        # a task due tomorrow 00:30 in Tokyo is "upcoming" in Tokyo when it is earlier there
        person = member_of(alpha, "member", time_zone="Pacific/Kiritimati")
        zone = ZoneInfo("Pacific/Kiritimati")
        local_now = timezone.localtime(timezone.now(), zone)
        tomorrow = (local_now + datetime.timedelta(days=1)).replace(
            hour=0, minute=30, second=0, microsecond=0
        )
        make_task(person, "tomorrow there", due_at=tomorrow)
        groups = group_subjects(client_for(person).get("/tasks/"))
        assert groups["upcoming"] == ["tomorrow there"]

    def test_subject_is_escaped(self, in_alpha: Company, member: User) -> None:
        make_task(member, XSS)
        html = client_for(member).get("/tasks/").content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_viewer_sees_the_list_without_forms(self, alpha: Company, viewer: User) -> None:
        make_task(viewer, "viewer's")
        response = client_for(viewer).get("/tasks/")
        assert response.status_code == 200
        assert response.context["add_form"] is None
        assert "/done/" not in response.content.decode()

    def test_beta_tasks_never_show(self, alpha: Company, beta: Company, member: User) -> None:
        Membership = type(alpha.memberships.first())
        Membership.objects.create(user=member, company=beta, role="member")
        with schema_context("beta"):
            Activity.objects.create(
                kind="task",
                subject="beta secret",
                assignee=member,
                contact=Contact.objects.create(last_name="B"),
            )
        make_task(member, "alpha task")
        html = client_for(member).get("/tasks/").content.decode()
        assert "alpha task" in html
        assert "beta secret" not in html


def _count(client: object, path: str) -> int:
    client.get(path)  # type: ignore[attr-defined]
    with page_queries() as ctx:
        assert client.get(path).status_code == 200  # type: ignore[attr-defined]
    return len(ctx.captured_queries)


def test_query_count_is_constant(
    in_alpha: Company, member: User, django_assert_num_queries: object
) -> None:
    client = client_for(member)
    deals = make_deals(3, owner=member)
    for i in range(3):
        make_task(member, f"t{i}", due_at=at(days=i - 1), deal=deals[i])
    make_task(member, "done", done=True, done_at=timezone.now())
    few = _count(client, "/tasks/")
    deals = make_deals(30, owner=member)
    for i in range(30):
        make_task(member, f"u{i}", due_at=at(days=i - 10), deal=deals[i])
        make_task(member, f"d{i}", done=True, done_at=timezone.now())
    make_task(member, "org", organization=Organization.objects.create(name="O"))
    client.get("/tasks/")
    # role; picker (3 kinds); open tasks; recently done; the layout's company switcher
    with page_queries(PAGE_BASELINE + 7):
        response = client.get("/tasks/")
    assert response.context["open_count"] == 34
    assert few == PAGE_BASELINE + 7


class TestAdd:
    def test_adds_a_task_for_me_linked_to_a_deal(self, in_alpha: Company, member: User) -> None:
        deal = make_deals(1, owner=member)[0]
        client = client_for(member)
        form = client.get("/tasks/").context["add_form"]
        assert (f"deal:{deal.pk}", deal.name) in dict(form.fields["link"].widget.choices)[
            form.fields["link"].widget.choices[1][0]
        ]
        response = client.post(
            "/tasks/new/",
            {
                "subject": f"  {XSS} ",
                "due_date": "2030-05-04",
                "due_time": "",
                "link": f"deal:{deal.pk}",
            },
        )
        assert response.status_code == 302
        task = Activity.objects.get(deal=deal)
        assert task.subject == XSS
        assert task.kind == "task"
        assert task.assignee_id == member.pk
        # a date without a time is due at 09:00 in the user's zone
        assert (
            timezone.localtime(task.due_at, SOFIA).strftime("%Y-%m-%d %H:%M") == "2030-05-04 09:00"
        )
        assert AuditEvent.objects.filter(
            action="crm.activity.created", object_id=str(task.pk)
        ).exists()
        assert Deal.objects.get(pk=deal.pk).last_activity_at is not None

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"subject": "", "link": "x"}, "subject", "This field is required."),
            ({"subject": "S", "link": ""}, "link", "This field is required."),
            (
                {"subject": "S", "link": "deal:999999"},
                "link",
                "Choose a deal, a contact or an organization.",
            ),
            (
                {"subject": "S", "link": "nonsense"},
                "link",
                "Choose a deal, a contact or an organization.",
            ),
            (
                {"subject": "S", "link": "C", "due_date": "31.02.2030"},
                "due_date",
                "Enter a date as dd.mm.yyyy.",
            ),
            (
                {"subject": "S", "link": "C", "due_time": "10:00"},
                "due_date",
                "Enter a date for this time.",
            ),
            (
                {"subject": "x" * 201, "link": "C"},
                "subject",
                "Ensure this value has at most 200 characters (it has 201).",
            ),
        ],
    )
    def test_bad_input_is_400_with_field_errors(
        self, in_alpha: Company, member: User, data: dict[str, str], field: str, message: str
    ) -> None:
        contact = Contact.objects.create(last_name="C")
        if data.get("link") == "C":
            data = {**data, "link": f"contact:{contact.pk}"}
        before = Activity.objects.count()
        response = client_for(member).post("/tasks/new/", data)
        assert response.status_code == 400
        assert message in response.context["add_form"].errors[field]
        assert Activity.objects.count() == before

    def test_a_record_page_can_preselect_and_come_back(
        self, in_alpha: Company, member: User
    ) -> None:
        # given more recent records than the picker shows, and an old contact
        old = Contact.objects.create(last_name="Old one")
        Contact.objects.bulk_create(Contact(last_name=f"New {i}") for i in range(25))
        client = client_for(member)
        form = client.get(f"/tasks/?link=contact:{old.pk}").context["add_form"]
        assert form["link"].value() == f"contact:{old.pk}"
        assert f'<option value="contact:{old.pk}" selected>' in str(form["link"])
        # when the quick add is posted with next=<the record's page>, it goes back there
        data = {"subject": "S", "link": f"contact:{old.pk}", "next": f"/contacts/{old.pk}/"}
        assert client.post("/tasks/new/", data)["Location"] == f"/contacts/{old.pk}/"
        # but never to another site
        data["next"] = "https://evil.example/"
        assert client.post("/tasks/new/", data)["Location"] == "/tasks/"

    def test_errors_in_bulgarian(self, in_alpha: Company, member: User) -> None:
        client = client_for(member, language="bg")
        response = client.post(
            "/tasks/new/", {"subject": "", "link": ""}, HTTP_ACCEPT_LANGUAGE="bg"
        )
        assert response.status_code == 400
        assert "Това поле е задължително." in response.content.decode()

    def test_a_deleted_record_cannot_be_chosen(self, in_alpha: Company, member: User) -> None:
        contact = Contact.objects.create(last_name="Gone", deleted_at=timezone.now())
        response = client_for(member).post(
            "/tasks/new/", {"subject": "S", "link": f"contact:{contact.pk}"}
        )
        assert response.status_code == 400

    def test_viewer_cannot_add(self, in_alpha: Company, viewer: User) -> None:
        contact = Contact.objects.create(last_name="C")
        response = client_for(viewer).post(
            "/tasks/new/", {"subject": "S", "link": f"contact:{contact.pk}"}
        )
        assert response.status_code == 403
        assert not Activity.objects.exists()


class TestDone:
    def test_htmx_toggle_returns_the_row(self, in_alpha: Company, member: User) -> None:
        task = make_task(member, "Toggle me")
        client = client_for(member)
        response = client.post(f"/tasks/{task.pk}/done/", {"done": "1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith(f'<li class="task task-done" id="task-{task.pk}">')
        assert 'name="done" value="0"' in html
        task.refresh_from_db()
        assert task.done
        assert task.done_at is not None
        response = client.post(f"/tasks/{task.pk}/done/", {"done": "0"}, HTTP_HX_REQUEST="true")
        task.refresh_from_db()
        assert not task.done
        assert task.done_at is None
        assert (
            AuditEvent.objects.filter(object_id=str(task.pk), action="crm.activity.updated").count()
            == 2
        )

    def test_plain_post_redirects(self, in_alpha: Company, member: User) -> None:
        task = make_task(member)
        response = client_for(member).post(f"/tasks/{task.pk}/done/")
        assert response.status_code == 302
        assert response["Location"] == "/tasks/"
        task.refresh_from_db()
        assert task.done

    def test_viewer_is_refused(self, in_alpha: Company, viewer: User) -> None:
        task = make_task(viewer)
        assert client_for(viewer).post(f"/tasks/{task.pk}/done/").status_code == 403
        task.refresh_from_db()
        assert not task.done

    def test_unknown_or_not_a_task_is_404(self, in_alpha: Company, member: User) -> None:
        call = make_task(member)
        Activity.objects.filter(pk=call.pk).update(kind="call")
        client = client_for(member)
        assert client.post(f"/tasks/{call.pk}/done/").status_code == 404
        assert client.post("/tasks/999999/done/").status_code == 404


class TestEditAndDelete:
    def test_edit(self, in_alpha: Company, member: User) -> None:
        other = member_of(in_alpha, "member", full_name="Other Person")
        task = make_task(member, "Old", due_at=at(days=1))
        client = client_for(member)
        page = client.get(f"/tasks/{task.pk}/edit/")
        assert page.status_code == 200
        response = client.post(
            f"/tasks/{task.pk}/edit/",
            {
                "subject": "New",
                "description": XSS,
                "due_date": "2031-01-02",
                "due_time": "14:30",
                "assignee": str(other.pk),
            },
        )
        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.subject, task.description, task.assignee_id) == ("New", XSS, other.pk)
        assert (
            timezone.localtime(task.due_at, SOFIA).strftime("%Y-%m-%d %H:%M") == "2031-01-02 14:30"
        )
        event = AuditEvent.objects.get(object_id=str(task.pk), action="crm.activity.updated")
        assert event.changes["subject"] == ["Old", "New"]
        assert event.changes["assignee"] == [member.pk, other.pk]

    def test_edit_bad_input(self, in_alpha: Company, member: User) -> None:
        task = make_task(member, "Keep")
        response = client_for(member).post(
            f"/tasks/{task.pk}/edit/", {"subject": "", "assignee": "123456789"}
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "subject" in errors
        assert "assignee" in errors
        task.refresh_from_db()
        assert task.subject == "Keep"

    def test_viewer_cannot_edit(self, in_alpha: Company, viewer: User) -> None:
        task = make_task(viewer)
        assert client_for(viewer).get(f"/tasks/{task.pk}/edit/").status_code == 403

    def test_members_delete_only_what_they_created(
        self, in_alpha: Company, member: User, admin: User
    ) -> None:
        contact = Contact.objects.create(last_name="C")
        mine = activity_create(
            actor=member, kind="task", subject="mine", contact=contact, assignee=member
        )
        given = activity_create(
            actor=admin, kind="task", subject="given", contact=contact, assignee=member
        )
        client = client_for(member)
        assert client.get(f"/tasks/{mine.pk}/edit/").context["may_delete"] is True
        assert client.get(f"/tasks/{given.pk}/edit/").context["may_delete"] is False
        assert client.post(f"/tasks/{given.pk}/delete/").status_code == 403
        assert Activity.objects.filter(pk=given.pk).exists()
        assert client.post(f"/tasks/{mine.pk}/delete/").status_code == 302
        assert not Activity.objects.filter(pk=mine.pk).exists()
        event = AuditEvent.objects.get(object_id=str(mine.pk), action="crm.activity.deleted")
        assert event.changes["subject"] == ["mine", None]
        # an admin deletes any task
        assert client_for(admin).post(f"/tasks/{given.pk}/delete/").status_code == 302
        assert not Activity.objects.filter(pk=given.pk).exists()
