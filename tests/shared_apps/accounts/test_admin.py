"""The platform admin for people and memberships: every write through a service, with the
staff member as actor; no user is ever deleted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shared_apps.accounts import people
from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import PlatformEvent, SecurityEvent
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def staff() -> User:
    return make_user(email="staff@platform.test", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff: User) -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


def _owner(company: Company) -> Membership:
    return Membership.objects.get(company=company, role=Role.OWNER)


def _seats(company: Company, seats: int | None) -> None:
    Plan.objects.filter(pk=company.plan_id).update(seats=seats)


def _errors(response: Any) -> str:
    form = response.context["adminform"].form
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class TestUsers:
    def test_delete_is_not_offered(self, admin_client: Client, alpha: Company) -> None:
        user = _owner(alpha).user
        # no delete action on the list, no delete link on the page, the delete URL refuses
        listing = admin_client.get("/admin/accounts/user/")
        assert "delete_selected" not in listing.content.decode()
        assert "anonymise_users" in listing.content.decode()
        page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
        assert page.status_code == 200
        assert f"/admin/accounts/user/{user.pk}/delete/" not in page.content.decode()
        assert admin_client.get(f"/admin/accounts/user/{user.pk}/delete/").status_code == 403
        assert (
            admin_client.post(
                f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )
        response = admin_client.post(
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [user.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302)
        assert User.objects.filter(pk=user.pk).exists()
        assert admin_client.get("/admin/accounts/user/add/").status_code == 403

    def test_anonymise_action_confirms_then_goes_through_the_service(
        self, admin_client: Client, staff: User
    ) -> None:
        user = make_user(email="gone@example.test", full_name="Gone Person")
        data = {"action": "anonymise_users", "_selected_action": [user.pk]}
        # first a confirmation page, nothing written
        confirm = admin_client.post("/admin/accounts/user/", data)
        assert confirm.status_code == 200
        assert "gone@example.test" in confirm.content.decode()
        user.refresh_from_db()
        assert user.email == "gone@example.test"
        # then on apply, the service
        done = admin_client.post("/admin/accounts/user/", {**data, "apply": "1"})
        assert done.status_code == 302
        user.refresh_from_db()
        assert user.is_anonymised
        assert not user.is_active
        assert PlatformEvent.objects.get(action=people.USER_ANONYMISED).actor == staff

    def test_deactivate_action_refuses_oneself_with_a_message(
        self, admin_client: Client, staff: User
    ) -> None:
        user = make_user(email="off@example.test")
        response = admin_client.post(
            "/admin/accounts/user/",
            {
                "action": "deactivate_users",
                "_selected_action": [user.pk, staff.pk],
                "apply": "1",
            },
            follow=True,
        )
        body = response.content.decode()
        assert "You cannot deactivate or anonymise your own account." in body
        assert "1 person deactivated." in body
        user.refresh_from_db()
        staff.refresh_from_db()
        assert (user.is_active, staff.is_active) == (False, True)
        event = PlatformEvent.objects.get(action=people.USER_DEACTIVATED)
        assert (event.actor, event.target_id) == (staff, str(user.pk))

    def test_edit_is_audited_and_bad_input_writes_nothing(
        self, admin_client: Client, staff: User
    ) -> None:
        user = make_user(email="edit@example.test", full_name="Old Name")
        url = f"/admin/accounts/user/{user.pk}/change/"
        form = {
            "full_name": "New Name",
            "language": "en",
            "time_zone": "Europe/Sofia",
        }
        bad = admin_client.post(url, {**form, "language": "xx"})
        assert bad.status_code == 200
        assert "language" in bad.context["adminform"].form.errors
        user.refresh_from_db()
        assert user.full_name == "Old Name"
        assert not PlatformEvent.objects.filter(action=people.USER_CHANGED).exists()

        assert admin_client.post(url, form).status_code == 302
        user.refresh_from_db()
        assert (user.full_name, user.language) == ("New Name", "en")
        event = PlatformEvent.objects.get(action=people.USER_CHANGED)
        assert event.actor == staff
        assert event.data == {"full_name": True, "language": ["bg", "en"]}

    def test_an_anonymised_person_is_read_only(self, admin_client: Client, staff: User) -> None:
        user = make_user(email="anon@example.test")
        people.user_anonymise(user=user, actor=staff)
        url = f"/admin/accounts/user/{user.pk}/change/"
        page = admin_client.get(url)
        assert page.status_code == 200
        assert list(page.context["adminform"].form.fields) == []
        assert admin_client.post(url, {"full_name": "Back Again"}).status_code == 302
        user.refresh_from_db()
        assert user.full_name == ""
        assert not PlatformEvent.objects.filter(action=people.USER_CHANGED).exists()


class TestMemberships:
    def test_add_goes_through_the_service_with_the_staff_actor(
        self, admin_client: Client, staff: User, alpha: Company
    ) -> None:
        _seats(alpha, None)
        user = make_user(email="joiner@example.test")
        response = admin_client.post(
            "/admin/accounts/membership/add/",
            {"user": user.pk, "company": alpha.pk, "role": Role.MEMBER},
        )
        assert response.status_code == 302
        membership = Membership.objects.get(user=user, company=alpha)
        event = PlatformEvent.objects.get(action="membership.created", target_id=str(membership.pk))
        assert event.actor == staff
        assert event.company_id == alpha.pk

    def test_add_past_the_seat_limit_is_refused_with_a_message(
        self, admin_client: Client, alpha: Company
    ) -> None:
        _seats(alpha, Membership.objects.filter(company=alpha).count())
        user = make_user(email="onetoomany@example.test")
        response = admin_client.post(
            "/admin/accounts/membership/add/",
            {"user": user.pk, "company": alpha.pk, "role": Role.MEMBER},
        )
        assert response.status_code == 200
        assert "seats" in _errors(response).lower()
        assert not Membership.objects.filter(user=user).exists()
        assert not PlatformEvent.objects.filter(
            action="membership.created", actor__isnull=False
        ).exists()

    def test_bad_input_shows_errors_and_writes_nothing(
        self, admin_client: Client, alpha: Company
    ) -> None:
        events = PlatformEvent.objects.count()
        owner = _owner(alpha).user
        for data in (
            {"user": owner.pk, "company": alpha.pk, "role": "emperor"},
            {"user": "", "company": alpha.pk, "role": Role.MEMBER},
            {"user": owner.pk, "company": alpha.pk, "role": Role.MEMBER},  # already a member
        ):
            response = admin_client.post("/admin/accounts/membership/add/", data)
            assert response.status_code == 200
            assert _errors(response)
        assert Membership.objects.filter(company=alpha).count() == 1
        assert PlatformEvent.objects.count() == events

    def test_last_owner_cannot_be_demoted(self, admin_client: Client, alpha: Company) -> None:
        events = PlatformEvent.objects.count()
        owner = _owner(alpha)
        response = admin_client.post(
            f"/admin/accounts/membership/{owner.pk}/change/", {"role": Role.ADMIN}
        )
        assert response.status_code == 200
        assert "at least one owner" in _errors(response)
        owner.refresh_from_db()
        assert owner.role == Role.OWNER
        assert PlatformEvent.objects.count() == events

    def test_last_owner_cannot_be_removed(self, admin_client: Client, alpha: Company) -> None:
        events = PlatformEvent.objects.count()
        owner = _owner(alpha)
        url = f"/admin/accounts/membership/{owner.pk}/delete/"
        response = admin_client.post(url, {"post": "yes"}, follow=True)
        assert "at least one owner" in response.content.decode()
        assert Membership.objects.filter(pk=owner.pk).exists()
        assert PlatformEvent.objects.count() == events
        # and no bulk delete around the rule
        listing = admin_client.get("/admin/accounts/membership/")
        assert "delete_selected" not in listing.content.decode()

    def test_role_change_and_removal_are_audited_with_the_staff_actor(
        self, admin_client: Client, staff: User, alpha: Company, beta: Company
    ) -> None:
        user = make_user(email="both@example.test")
        in_alpha = membership_create(user=user, company=alpha, role=Role.MEMBER, actor=None)
        in_beta = membership_create(user=user, company=beta, role=Role.MEMBER, actor=None)
        # an owner of alpha can be demoted once there is another
        response = admin_client.post(
            f"/admin/accounts/membership/{in_alpha.pk}/change/", {"role": Role.OWNER}
        )
        assert response.status_code == 302
        changed = PlatformEvent.objects.get(action="membership.role_changed")
        assert (changed.actor, changed.company_id) == (staff, alpha.pk)
        assert changed.data["from"] == Role.MEMBER
        assert changed.data["to"] == Role.OWNER
        assert SecurityEvent.objects.get(kind="role_changed").user == staff

        response = admin_client.post(
            f"/admin/accounts/membership/{in_beta.pk}/delete/", {"post": "yes"}
        )
        assert response.status_code == 302
        assert not Membership.objects.filter(pk=in_beta.pk).exists()
        removed = PlatformEvent.objects.get(action="membership.removed")
        assert (removed.actor, removed.company_id) == (staff, beta.pk)
        # alpha's membership is untouched by beta's removal
        assert Membership.objects.get(pk=in_alpha.pk).role == Role.OWNER


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_list_pages_cost_the_same_queries_with_more_rows(
    admin_client: Client, alpha: Company, beta: Company
) -> None:
    _seats(alpha, None)
    paths = ("/admin/accounts/user/", "/admin/accounts/membership/", "/admin/")
    before = {path: _queries(admin_client, path) for path in paths}
    for i in range(5):
        user = make_user(email=f"more{i}@example.test")
        membership_create(user=user, company=alpha, role=Role.MEMBER, actor=None)
        membership_create(user=user, company=beta, role=Role.VIEWER, actor=None)
    after = {path: _queries(admin_client, path) for path in paths}
    assert after == before


def test_staff_who_may_only_view_people_get_no_actions(alpha: Company) -> None:
    from django.contrib.auth.models import Permission

    viewer = make_user(email="helpdesk@platform.test", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(viewer)
    target = _owner(alpha).user
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200
    assert "anonymise_users" not in listing.content.decode()
    response = client.post(
        "/admin/accounts/user/",
        {"action": "anonymise_users", "_selected_action": [target.pk], "apply": "1"},
    )
    assert response.status_code in (200, 302, 403)
    target.refresh_from_db()
    assert not target.is_anonymised
    assert target.is_active
