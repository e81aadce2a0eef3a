"""Team services: invitations, roles, removal and ownership, with every refusal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from shared_apps.accounts import entitlements, team
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import PlatformEvent, SecurityEvent
from shared_apps.tenants.models import Company
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


Role = Membership.Role


def owner(company: Company) -> User:
    return User.objects.get(email=f"owner@{company.subdomain}.test")


def member(company: Company, role: str, email: str | None = None) -> Membership:
    user = make_user(**({"email": email} if email else {}))
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return membership_create(user=user, company=company, role=role, actor=None)


def owner_membership(company: Company) -> Membership:
    return Membership.objects.get(company=company, user=owner(company))


def invite(company: Company, email: str, role: str = Role.MEMBER) -> tuple[Invitation, str]:
    """An invitation and its token (the token is only ever in the email)."""
    captured: list[str] = []
    real = team._new_token

    def keep(invitation: Invitation) -> str:
        token = real(invitation)
        captured.append(token)
        return token

    team._new_token = keep
    try:
        invitation = team.invitation_create(
            company=company, email=email, role=role, actor=owner(company)
        )
    finally:
        team._new_token = real
    return invitation, captured[-1]


class TestInvitationCreate:
    def test_stores_only_the_hash_and_expires_in_seven_days(
        self, alpha: Company, django_capture_on_commit_callbacks
    ) -> None:
        # given an owner, when they invite an address
        with django_capture_on_commit_callbacks() as callbacks:
            invitation, token = invite(alpha, " New.Person@Example.TEST ", Role.ADMIN)
        # then the address is normalised, the token is not stored, only its sha256
        assert invitation.email == "new.person@example.test"
        assert len(token) >= 43
        assert invitation.token_hash == team.token_hash(token) != token
        assert not Invitation.objects.filter(token_hash=token).exists()
        expected = timezone.now() + timedelta(days=7)
        assert abs((invitation.expires_at - expected).total_seconds()) < 60
        # and the email waits for the commit, audit rows are written
        assert len(callbacks) == 1
        assert PlatformEvent.objects.filter(
            action="invitation.created", target_id=str(invitation.pk)
        ).exists()
        assert SecurityEvent.objects.filter(
            kind="invitation", company_id=alpha.pk, data__action="created"
        ).exists()

    @override_settings(INVITATION_TTL_DAYS=2)
    def test_ttl_comes_from_settings(self, alpha: Company) -> None:
        invitation, _token = invite(alpha, "ttl@example.test")
        expected = timezone.now() + timedelta(days=2)
        assert abs((invitation.expires_at - expected).total_seconds()) < 60

    def test_existing_member_is_refused(self, alpha: Company) -> None:
        existing = member(alpha, Role.MEMBER)
        with pytest.raises(ValidationError, match="already a member"):
            invite(alpha, existing.user.email.upper())
        assert not Invitation.objects.filter(email=existing.user.email).exists()

    def test_second_open_invitation_is_refused_with_a_message(self, alpha: Company) -> None:
        invite(alpha, "twice@example.test")
        with pytest.raises(ValidationError, match="already has an open invitation"):
            invite(alpha, "TWICE@example.test")
        assert Invitation.objects.filter(email="twice@example.test").count() == 1

    def test_an_expired_invitation_does_not_block_a_new_one(self, alpha: Company) -> None:
        old, _token = invite(alpha, "late@example.test")
        Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(1))
        new, _token = invite(alpha, "late@example.test")
        old.refresh_from_db()
        assert old.revoked_at is not None
        assert new.pk != old.pk

    def test_the_same_address_may_be_invited_by_another_company(
        self, alpha: Company, beta: Company
    ) -> None:
        invite(alpha, "both@example.test")
        invite(beta, "both@example.test")
        assert Invitation.objects.filter(email="both@example.test").count() == 2

    @pytest.mark.parametrize("bad", ["", "not-an-email", "a@"])
    def test_bad_email_is_refused(self, alpha: Company, bad: str) -> None:
        with pytest.raises(ValidationError, match="valid email"):
            invite(alpha, bad)

    def test_bad_role_is_refused(self, alpha: Company) -> None:
        with pytest.raises(ValidationError, match="valid role"):
            invite(alpha, "role@example.test", role="superuser")

    @pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
    def test_members_and_viewers_cannot_invite(self, alpha: Company, role: str) -> None:
        actor = member(alpha, role).user
        with pytest.raises(PermissionDenied):
            team.invitation_create(
                company=alpha, email="x@example.test", role="member", actor=actor
            )

    def test_outsider_cannot_invite(self, alpha: Company, beta: Company) -> None:
        with pytest.raises(PermissionDenied):
            team.invitation_create(
                company=alpha, email="x@example.test", role="member", actor=owner(beta)
            )

    def test_admin_cannot_invite_an_owner(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN).user
        with pytest.raises(PermissionDenied, match="Only an owner"):
            team.invitation_create(company=alpha, email="o@example.test", role="owner", actor=admin)
        team.invitation_create(company=alpha, email="o@example.test", role="admin", actor=admin)

    def test_full_plan_refuses_the_invitation(self, alpha: Company, monkeypatch) -> None:
        calls: list[Company] = []

        def full(*, company: Company, **kwargs: object) -> None:
            calls.append(company)
            raise entitlements.LimitReached("Your plan allows 3 members.", limit="seats")

        monkeypatch.setattr(team, "seats_check", full)
        with pytest.raises(entitlements.LimitReached, match=r"3 members") as exc:
            invite(alpha, "full@example.test")
        assert exc.value.limit == "seats"
        assert calls == [alpha]
        assert not Invitation.objects.filter(email="full@example.test").exists()


class TestInvitationResendRevoke:
    def test_resend_replaces_the_token_and_extends(
        self, alpha: Company, django_capture_on_commit_callbacks
    ) -> None:
        invitation, token = invite(alpha, "again@example.test")
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() + timedelta(hours=1)
        )
        with django_capture_on_commit_callbacks() as callbacks:
            resent = team.invitation_resend(invitation=invitation, actor=owner(alpha))
        assert resent.token_hash != team.token_hash(token)
        assert resent.expires_at > timezone.now() + timedelta(days=6)
        assert len(callbacks) == 1
        with pytest.raises(team.InvitationNotFound):
            team.invitation_get(token=token)

    def test_revoke_closes_the_invitation(self, alpha: Company) -> None:
        invitation, _token = invite(alpha, "gone@example.test")
        team.invitation_revoke(invitation=invitation, actor=owner(alpha))
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
        assert SecurityEvent.objects.filter(kind="invitation", data__action="revoked").exists()
        with pytest.raises(ValidationError, match="already accepted or revoked"):
            team.invitation_revoke(invitation=invitation, actor=owner(alpha))
        with pytest.raises(ValidationError, match="already accepted or revoked"):
            team.invitation_resend(invitation=invitation, actor=owner(alpha))

    def test_viewer_cannot_revoke(self, alpha: Company) -> None:
        invitation, _token = invite(alpha, "keep@example.test")
        viewer = member(alpha, Role.VIEWER).user
        with pytest.raises(PermissionDenied):
            team.invitation_revoke(invitation=invitation, actor=viewer)


class TestInvitationAccept:
    def test_verified_matching_user_joins_with_the_role(self, alpha: Company) -> None:
        # given an invitation for an address, and a user who verified that address
        invitation, token = invite(alpha, "joiner@example.test", Role.VIEWER)
        user = make_user(email="joiner@example.test")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        # when they accept
        membership = team.invitation_accept(token=token, user=user)
        # then they are a viewer and the invitation is used up
        assert (membership.company, membership.user, membership.role) == (alpha, user, "viewer")
        invitation.refresh_from_db()
        assert invitation.accepted_at is not None
        assert invitation.accepted_by == user
        assert SecurityEvent.objects.filter(kind="invitation", data__action="accepted").exists()
        # and the same link cannot be used again
        with pytest.raises(team.InvitationInvalid, match="already used"):
            team.invitation_accept(token=token, user=user)

    def test_unknown_token(self, alpha: Company) -> None:
        with pytest.raises(team.InvitationNotFound):
            team.invitation_accept(token="nope", user=owner(alpha))

    def test_unverified_address_is_refused(self, alpha: Company) -> None:
        _inv, token = invite(alpha, "unverified@example.test")
        user = make_user(email="unverified@example.test")
        EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
        with pytest.raises(team.InvitationInvalid, match=r"unverified@example\.test"):
            team.invitation_accept(token=token, user=user)
        assert not Membership.objects.filter(user=user).exists()

    def test_wrong_email_is_refused(self, alpha: Company) -> None:
        _inv, token = invite(alpha, "right@example.test")
        other = member(beta_or(alpha), Role.MEMBER).user
        with pytest.raises(team.InvitationInvalid, match="This invitation is for right@"):
            team.invitation_accept(token=token, user=other)
        assert not Membership.objects.filter(user=other, company=alpha).exists()

    def test_expired_is_refused(self, alpha: Company) -> None:
        invitation, token = invite(alpha, "expired@example.test")
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
        user = make_user(email="expired@example.test")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        with pytest.raises(team.InvitationInvalid, match="expired"):
            team.invitation_accept(token=token, user=user)
        assert not Membership.objects.filter(user=user).exists()

    def test_revoked_is_refused(self, alpha: Company) -> None:
        invitation, token = invite(alpha, "revoked@example.test")
        team.invitation_revoke(invitation=invitation, actor=owner(alpha))
        user = make_user(email="revoked@example.test")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        with pytest.raises(team.InvitationInvalid, match="revoked"):
            team.invitation_accept(token=token, user=user)

    def test_full_plan_refuses_the_accept(self, alpha: Company, monkeypatch) -> None:
        invitation, token = invite(alpha, "seat@example.test")
        user = make_user(email="seat@example.test")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

        def full(*, company: Company, **kwargs: object) -> None:
            raise entitlements.LimitReached("Your plan allows 3 members.", limit="seats")

        monkeypatch.setattr(team, "seats_check", full)
        with pytest.raises(entitlements.LimitReached, match=r"3 members"):
            team.invitation_accept(token=token, user=user)
        invitation.refresh_from_db()
        assert invitation.accepted_at is None
        assert not Membership.objects.filter(user=user).exists()


def beta_or(alpha: Company) -> Company:
    return Company.objects.exclude(pk=alpha.pk).get(subdomain="beta")


class TestRoles:
    def test_admin_changes_a_member_to_viewer(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN).user
        target = member(alpha, Role.MEMBER)
        team.membership_change_role(membership=target, role="viewer", actor=admin)
        target.refresh_from_db()
        assert target.role == "viewer"
        event = SecurityEvent.objects.get(kind="role_changed", data__email=target.user.email)
        assert event.data == {"email": target.user.email, "from": "member", "to": "viewer"}

    def test_last_owner_cannot_be_demoted(self, alpha: Company) -> None:
        me = owner_membership(alpha)
        with pytest.raises(ValidationError, match="at least one owner"):
            team.membership_change_role(membership=me, role="admin", actor=me.user)
        me.refresh_from_db()
        assert me.role == "owner"

    def test_an_owner_can_step_down_when_another_owner_exists(self, alpha: Company) -> None:
        me = owner_membership(alpha)
        other = member(alpha, Role.MEMBER)
        team.membership_change_role(membership=other, role="owner", actor=me.user)
        team.membership_change_role(membership=me, role="admin", actor=me.user)
        me.refresh_from_db()
        assert me.role == "admin"

    def test_admin_cannot_make_or_unmake_owners(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN).user
        target = member(alpha, Role.MEMBER)
        with pytest.raises(PermissionDenied, match="Only an owner"):
            team.membership_change_role(membership=target, role="owner", actor=admin)
        with pytest.raises(PermissionDenied, match="Only an owner"):
            team.membership_change_role(
                membership=owner_membership(alpha), role="member", actor=admin
            )
        with pytest.raises(PermissionDenied, match="owners and admins"):
            team.membership_change_role(membership=target, role="owner", actor=target.user)

    @pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
    def test_members_and_viewers_cannot_change_roles(self, alpha: Company, role: str) -> None:
        actor = member(alpha, role)
        target = member(alpha, Role.VIEWER)
        with pytest.raises(PermissionDenied):
            team.membership_change_role(membership=target, role="admin", actor=actor.user)
        with pytest.raises(PermissionDenied):
            team.membership_change_role(membership=actor, role="admin", actor=actor.user)

    def test_bad_role(self, alpha: Company) -> None:
        target = member(alpha, Role.MEMBER)
        with pytest.raises(ValidationError, match="valid role"):
            team.membership_change_role(membership=target, role="god", actor=owner(alpha))


class TestRemove:
    def test_admin_removes_a_member(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN).user
        target = member(alpha, Role.MEMBER)
        team.membership_remove(membership=target, actor=admin)
        assert not Membership.objects.filter(pk=target.pk).exists()
        assert SecurityEvent.objects.filter(
            kind="member_removed", data__email=target.user.email
        ).exists()

    def test_admin_cannot_remove_an_owner(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN).user
        with pytest.raises(PermissionDenied, match="cannot remove an owner"):
            team.membership_remove(membership=owner_membership(alpha), actor=admin)
        assert owner_membership(alpha)

    def test_last_owner_cannot_be_removed(self, alpha: Company) -> None:
        me = owner_membership(alpha)
        with pytest.raises(ValidationError, match="at least one owner"):
            team.membership_remove(membership=me, actor=me.user)
        assert Membership.objects.filter(pk=me.pk).exists()

    def test_member_cannot_remove(self, alpha: Company) -> None:
        actor = member(alpha, Role.MEMBER).user
        target = member(alpha, Role.VIEWER)
        with pytest.raises(PermissionDenied):
            team.membership_remove(membership=target, actor=actor)


class TestOwnershipTransfer:
    def test_owner_hands_over_and_becomes_admin(self, alpha: Company) -> None:
        me = owner_membership(alpha)
        target = member(alpha, Role.MEMBER)
        team.ownership_transfer(company=alpha, to_membership=target, actor=me.user)
        me.refresh_from_db()
        target.refresh_from_db()
        assert (me.role, target.role) == ("admin", "owner")
        assert PlatformEvent.objects.filter(action="company.ownership_transferred").exists()

    def test_admin_cannot_transfer(self, alpha: Company) -> None:
        admin = member(alpha, Role.ADMIN)
        with pytest.raises(PermissionDenied, match="Only an owner"):
            team.ownership_transfer(company=alpha, to_membership=admin, actor=admin.user)

    def test_member_of_another_company_is_refused(self, alpha: Company, beta: Company) -> None:
        with pytest.raises(ValidationError, match="not a member"):
            team.ownership_transfer(
                company=alpha, to_membership=owner_membership(beta), actor=owner(alpha)
            )
        assert owner_membership(alpha).role == "owner"

    def test_to_self_is_refused(self, alpha: Company) -> None:
        me = owner_membership(alpha)
        with pytest.raises(ValidationError, match="already own"):
            team.ownership_transfer(company=alpha, to_membership=me, actor=me.user)
