"""The team page on a company host: who may open it, each action's status and message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import translation

from shared_apps.accounts import team
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import send_email
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def broker(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: sent.append(kwargs))
    return sent


def client_for(user: User, host: str = "alpha.localhost") -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def member(company: Company, role: str) -> Membership:
    user = make_user()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return membership_create(user=user, company=company, role=role, actor=None)


def owner(company: Company) -> User:
    return User.objects.get(email=f"owner@{company.subdomain}.test")


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


class TestAccess:
    @pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
    def test_members_and_viewers_get_403_with_a_message(self, alpha: Company, role: str) -> None:
        client = client_for(member(alpha, role).user)
        response = client.get("/team/")
        assert response.status_code == 403
        assert "Only the company&#x27;s owners and admins can manage the team." in (
            response.content.decode()
        )
        assert (
            client.post("/team/invite/", {"email": "x@example.test", "role": "member"}).status_code
            == 403
        )
        assert not Invitation.objects.filter(email="x@example.test").exists()

    def test_a_stranger_gets_404(self, alpha: Company, beta: Company) -> None:
        assert client_for(owner(beta)).get("/team/").status_code == 404

    def test_anonymous_is_sent_to_sign_in(self, alpha: Company) -> None:
        response = host_client("alpha.localhost").get("/team/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_owner_sees_members_and_open_invitations(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN)
        team.invitation_create(
            company=alpha, email="pending@example.test", role="viewer", actor=owner(alpha)
        )
        response = client_for(owner(alpha)).get("/team/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "owner@alpha.test" in page
        assert admin.user.email in page
        assert "pending@example.test" in page
        assert "Transfer ownership" in page

    def test_admin_sees_the_page_without_owner_options(self, alpha: Company) -> None:
        response = client_for(member(alpha, Role.ADMIN).user).get("/team/")
        assert response.status_code == 200
        assert "Transfer ownership" not in response.content.decode()
        assert [v for v, _l in response.context["invite_form"].fields["role"].choices] == [
            "admin",
            "member",
            "viewer",
        ]

    def test_the_other_companys_members_are_not_listed(self, alpha: Company, beta: Company) -> None:
        page = client_for(owner(alpha)).get("/team/").content.decode()
        assert "owner@beta.test" not in page


class TestActions:
    def test_invite(
        self,
        alpha: Company,
        broker: list[dict[str, Any]],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        client = client_for(owner(alpha))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/team/invite/", {"email": "New@Example.test", "role": "admin"}, follow=True
            )
        assert response.redirect_chain == [("/team/", 302)]
        assert "Invitation sent to new@example.test." in messages_of(response)
        invitation = Invitation.objects.get(company=alpha, email="new@example.test")
        assert invitation.role == "admin"
        [message] = broker
        assert message["template"] == "invitation"
        assert "context" not in message
        assert "to" not in message
        email = OutboundEmail.objects.get(pk=message["outbox_id"])
        assert email.to == "new@example.test"
        assert email.context["invite_url"].startswith("https://localhost/invite/")

    def test_invite_an_existing_member_shows_the_message(self, alpha: Company) -> None:
        response = client_for(owner(alpha)).post(
            "/team/invite/", {"email": "owner@alpha.test", "role": "member"}
        )
        assert response.status_code == 400
        assert "owner@alpha.test is already a member of this company." in response.content.decode()

    def test_invite_twice_shows_the_message(self, alpha: Company) -> None:
        client = client_for(owner(alpha))
        client.post("/team/invite/", {"email": "dup@example.test", "role": "member"})
        response = client.post("/team/invite/", {"email": "dup@example.test", "role": "member"})
        assert response.status_code == 400
        assert "already has an open invitation" in response.content.decode()

    def test_invite_with_a_bad_address(self, alpha: Company) -> None:
        response = client_for(owner(alpha)).post(
            "/team/invite/", {"email": "nope", "role": "member"}
        )
        assert response.status_code == 400
        assert not Invitation.objects.filter(company=alpha, email="nope").exists()

    def test_admin_cannot_invite_an_owner(self, alpha: Company) -> None:
        client = client_for(member(alpha, Role.ADMIN).user)
        response = client.post("/team/invite/", {"email": "boss@example.test", "role": "owner"})
        assert response.status_code == 400  # not a choice for admins
        assert not Invitation.objects.filter(email="boss@example.test").exists()

    def test_resend_and_revoke(self, alpha: Company) -> None:
        invitation = team.invitation_create(
            company=alpha, email="r@example.test", role="member", actor=owner(alpha)
        )
        client = client_for(owner(alpha))
        response = client.post(f"/team/invitations/{invitation.uuid}/resend/", follow=True)
        assert "Invitation sent again to r@example.test." in messages_of(response)
        response = client.post(f"/team/invitations/{invitation.uuid}/revoke/", follow=True)
        assert "Invitation for r@example.test revoked." in messages_of(response)
        response = client.post(f"/team/invitations/{invitation.uuid}/revoke/", follow=True)
        assert "This invitation was already accepted or revoked." in messages_of(response)

    def test_another_companys_invitation_is_404(self, alpha: Company, beta: Company) -> None:
        invitation = team.invitation_create(
            company=beta, email="b@example.test", role="member", actor=owner(beta)
        )
        response = client_for(owner(alpha)).post(f"/team/invitations/{invitation.uuid}/revoke/")
        assert response.status_code == 404
        invitation.refresh_from_db()
        assert invitation.revoked_at is None

    def test_change_role(self, alpha: Company) -> None:
        target = member(alpha, Role.MEMBER)
        response = client_for(owner(alpha)).post(
            f"/team/members/{target.user.uuid}/role/", {"role": "viewer"}, follow=True
        )
        assert f"{target.user.email} is now Viewer." in messages_of(response)
        target.refresh_from_db()
        assert target.role == "viewer"

    def test_demoting_the_last_owner_shows_the_message(self, alpha: Company) -> None:
        me = owner(alpha)
        response = client_for(me).post(
            f"/team/members/{me.uuid}/role/", {"role": "admin"}, follow=True
        )
        assert (
            "A company needs at least one owner. Make someone else an owner first."
            in messages_of(response)
        )
        assert Membership.objects.get(user=me, company=alpha).role == "owner"

    def test_admin_changing_an_owner_gets_403(self, alpha: Company) -> None:
        client = client_for(member(alpha, Role.ADMIN).user)
        response = client.post(f"/team/members/{owner(alpha).uuid}/role/", {"role": "member"})
        assert response.status_code == 403
        assert "Only an owner" in response.content.decode()

    def test_admin_removing_an_owner_gets_403(self, alpha: Company) -> None:
        client = client_for(member(alpha, Role.ADMIN).user)
        response = client.post(f"/team/members/{owner(alpha).uuid}/remove/")
        assert response.status_code == 403
        assert "An admin cannot remove an owner." in response.content.decode()

    def test_remove(self, alpha: Company) -> None:
        target = member(alpha, Role.VIEWER)
        response = client_for(owner(alpha)).post(
            f"/team/members/{target.user.uuid}/remove/", follow=True
        )
        assert f"{target.user.email} was removed from the company." in messages_of(response)
        assert not Membership.objects.filter(pk=target.pk).exists()

    def test_member_of_another_company_is_404(self, alpha: Company, beta: Company) -> None:
        response = client_for(owner(alpha)).post(f"/team/members/{owner(beta).uuid}/remove/")
        assert response.status_code == 404

    def test_transfer_ownership(self, alpha: Company) -> None:
        target = member(alpha, Role.ADMIN)
        response = client_for(owner(alpha)).post(
            f"/team/members/{target.user.uuid}/transfer/", follow=True
        )
        assert f"{target.user.email} now owns the company. You are an admin." in messages_of(
            response
        )
        assert Membership.objects.get(user=owner(alpha), company=alpha).role == "admin"

    def test_admin_cannot_transfer(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN)
        response = client_for(admin.user).post(f"/team/members/{admin.user.uuid}/transfer/")
        assert response.status_code == 403

    def test_get_on_an_action_is_405(self, alpha: Company) -> None:
        assert client_for(owner(alpha)).get("/team/invite/").status_code == 405


class TestSoleOwner:
    """The only owner is not offered what the services would refuse, and is told why."""

    def test_sole_owner_is_not_offered_leave_or_change_role_on_themselves(
        self, alpha: Company
    ) -> None:
        me = owner(alpha)
        other = member(alpha, Role.MEMBER)
        page = client_for(me).get("/team/").content.decode()
        assert f"/team/members/{me.uuid}/role/" not in page
        assert f"/team/members/{me.uuid}/remove/" not in page
        assert "Leave" not in page
        assert "You are the only owner, so you cannot leave or change your role." in page
        # the others' actions are still there
        assert f"/team/members/{other.user.uuid}/role/" in page

    def test_with_a_second_owner_both_may_leave(self, alpha: Company) -> None:
        me = owner(alpha)
        member(alpha, Role.OWNER)
        page = client_for(me).get("/team/").content.decode()
        assert f"/team/members/{me.uuid}/role/" in page
        assert "Leave" in page
        assert "You are the only owner" not in page

    def test_admin_is_told_why_owners_have_no_actions(self, alpha: Company) -> None:
        page = client_for(member(alpha, Role.ADMIN).user).get("/team/").content.decode()
        assert f"/team/members/{owner(alpha).uuid}/role/" not in page
        assert "The only owner. Only they can transfer ownership." in page
