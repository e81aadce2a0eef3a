"""A company's team: invitations, roles, removal, ownership.

Rules every service here enforces (the views check too, but these are the source of truth):
- only owners and admins manage the team; only owners make or unmake owners;
- a company always keeps at least one owner;
- an admin cannot remove an owner;
- one open invitation per address and company (also a database constraint);
- anything that adds a member calls `entitlements.seats_check` first.

Errors carry a translated message: `ValidationError` for a refused request,
`PermissionDenied` for an actor without the right role, `InvitationNotFound` /
`InvitationInvalid` for invitation links.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.entitlements import seats_check
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.accounts.permissions import Action, require
from shared_apps.accounts.services import membership_create
from shared_apps.audit.security import security_event_record
from shared_apps.audit.services import platform_event_record
from shared_apps.notifications.services import email_enqueue
from shared_apps.tenants.models import Company
from shared_apps.tenants.origins import public_url

Role = Membership.Role


class InvitationNotFound(Exception):
    """No invitation has this token."""


class InvitationInvalid(ValidationError):
    """The invitation exists but cannot be used (expired, revoked, accepted, wrong person)."""


def invitation_ttl() -> timedelta:
    return timedelta(days=getattr(settings, "INVITATION_TTL_DAYS", 7))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return public_url(f"/invite/{token}/")


def invitation_is_open(invitation: Invitation) -> bool:
    return (
        invitation.accepted_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > timezone.now()
    )


def _actor_membership(*, company: Company, actor: User, lock: bool = False) -> Membership:
    qs = Membership.objects.filter(company=company, user=actor)
    membership = (qs.select_for_update() if lock else qs).first()
    require(membership, Action.TEAM_MANAGE)
    assert membership is not None
    return membership


def _role_valid(role: str) -> str:
    if role not in Role.values:
        raise ValidationError(_("Choose a valid role."), code="invalid_role")
    return role


def _owners_locked(company: Company) -> list[Membership]:
    """The company's owner memberships, locked: two owners demoting each other at once
    must not leave the company with none."""
    return list(Membership.objects.select_for_update().filter(company=company, role=Role.OWNER))


def _last_owner_refuse(company: Company, membership: Membership, message: str) -> None:
    if membership.role != Role.OWNER:
        return
    owners = _owners_locked(company)
    if len([m for m in owners if m.pk != membership.pk]) == 0:
        raise ValidationError(message, code="last_owner")


def _invitation_send(*, invitation: Invitation, token: str, actor: User) -> None:
    email_enqueue(
        template="invitation",
        to_email=invitation.email,
        context={
            "inviter_name": actor.get_full_name(),
            "company_name": invitation.company.name,
            "role": invitation.role,
            "invite_url": invitation_url(token),
            "expires_days": invitation_ttl().days,
        },
        # A resend replaces the token, so each send has its own key.
        idempotency_key=f"invitation:{invitation.uuid}:{invitation.token_hash[:16]}",
        # Someone without an account yet reads it in the inviter's interface language
        # (User.language follows the language switch); a user in their own.
        stranger_language=actor.language,
    )


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.expires_at = timezone.now() + invitation_ttl()
    return token


@transaction.atomic
def invitation_create(*, company: Company, email: str, role: str, actor: User) -> Invitation:
    """Invite `email` to `company` with `role` and email the link (after commit)."""
    actor_membership = _actor_membership(company=company, actor=actor)
    role = _role_valid(role)
    if role == Role.OWNER:
        require(actor_membership, Action.OWNER_INVITE)
    email = User.objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="invalid_email") from None
    if Membership.objects.filter(company=company, user__email=email).exists():
        raise ValidationError(
            _("%(email)s is already a member of this company.") % {"email": email},
            code="already_member",
        )
    seats_check(company=company)
    now = timezone.now()
    # An expired invitation still counts as open for the constraint: close it first.
    Invitation.objects.filter(
        company=company,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__lte=now,
    ).update(revoked_at=now, updated_at=now)
    invitation = Invitation(company=company, email=email, role=role, invited_by=actor)
    token = _new_token(invitation)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ValidationError(
            _("%(email)s already has an open invitation. Resend or revoke it instead.")
            % {"email": email},
            code="already_invited",
        ) from None
    data = {"action": "created", "email": email, "role": role}
    platform_event_record(
        actor=actor, action="invitation.created", target=invitation, company=company, data=data
    )
    security_event_record(kind="invitation", user=actor, company_id=company.pk, data=data)
    _invitation_send(invitation=invitation, token=token, actor=actor)
    return invitation


def _open_invitation_locked(invitation: Invitation) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update().select_related("company").get(pk=invitation.pk)
    )
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise ValidationError(
            _("This invitation was already accepted or revoked."), code="invitation_closed"
        )
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor: User) -> Invitation:
    """A new link (the old one stops working) valid for another full period, emailed again."""
    _actor_membership(company=invitation.company, actor=actor)
    invitation = _open_invitation_locked(invitation)
    token = _new_token(invitation)
    invitation.save(update_fields=["token_hash", "expires_at", "updated_at"])
    data = {"action": "resent", "email": invitation.email}
    platform_event_record(
        actor=actor,
        action="invitation.resent",
        target=invitation,
        company=invitation.company,
        data=data,
    )
    security_event_record(
        kind="invitation", user=actor, company_id=invitation.company_id, data=data
    )
    _invitation_send(invitation=invitation, token=token, actor=actor)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    _actor_membership(company=invitation.company, actor=actor)
    invitation = _open_invitation_locked(invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    data = {"action": "revoked", "email": invitation.email}
    platform_event_record(
        actor=actor,
        action="invitation.revoked",
        target=invitation,
        company=invitation.company,
        data=data,
    )
    security_event_record(
        kind="invitation", user=actor, company_id=invitation.company_id, data=data
    )
    return invitation


def invitation_get(*, token: str) -> Invitation:
    """The invitation behind a link, whatever its state. InvitationNotFound if none."""
    invitation = (
        Invitation.objects.select_related("company", "invited_by")
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationNotFound
    return invitation


def invitation_problem(invitation: Invitation) -> str | None:
    """Why the invitation cannot be accepted (a translated sentence), or None."""
    if invitation.revoked_at is not None:
        return _("This invitation was revoked. Ask for a new one.")
    if invitation.accepted_at is not None:
        return _("This invitation was already used.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired. Ask for a new one.")
    if invitation.company.status != Company.Status.ACTIVE:
        return _("This company is not available.")
    return None


def _verified_emails(user: User) -> set[str]:
    from allauth.account.models import EmailAddress

    return {
        e.lower()
        for e in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    }


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """`user` joins the invitation's company with its role. The invitation is for an email
    address: the user must have verified that address."""
    try:
        found = Invitation.objects.get(token_hash=token_hash(token or ""))
    except Invitation.DoesNotExist:
        raise InvitationNotFound from None
    invitation = Invitation.objects.select_for_update().select_related("company").get(pk=found.pk)
    problem = invitation_problem(invitation)
    if problem is not None:
        raise InvitationInvalid(problem, code="invitation_unusable")
    if invitation.email.lower() not in _verified_emails(user):
        raise InvitationInvalid(
            _(
                "This invitation is for %(email)s. Sign in with that address (and confirm it) "
                "to accept it."
            )
            % {"email": invitation.email},
            code="wrong_email",
        )
    company = invitation.company
    if Membership.objects.filter(company=company, user=user).exists():
        raise InvitationInvalid(
            _("You are already a member of %(company)s.") % {"company": company.name},
            code="already_member",
        )
    seats_check(company=company, accepting=invitation)
    membership = membership_create(user=user, company=company, role=invitation.role, actor=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    data = {"action": "accepted", "email": invitation.email, "role": invitation.role}
    platform_event_record(
        actor=user, action="invitation.accepted", target=invitation, company=company, data=data
    )
    security_event_record(kind="invitation", user=user, company_id=company.pk, data=data)
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    company = membership.company
    actor_membership = _actor_membership(company=company, actor=actor)
    role = _role_valid(role)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    previous = membership.role
    if previous == role:
        return membership
    if Role.OWNER in (previous, role):
        require(actor_membership, Action.OWNER_ROLE_CHANGE)
    _last_owner_refuse(
        company,
        membership,
        _("A company needs at least one owner. Make someone else an owner first."),
    )
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    data = {"email": membership.user.email, "from": previous, "to": role}
    platform_event_record(
        actor=actor, action="membership.role_changed", target=membership, company=company, data=data
    )
    security_event_record(kind="role_changed", user=actor, company_id=company.pk, data=data)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    company = membership.company
    actor_membership = _actor_membership(company=company, actor=actor)
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.role == Role.OWNER:
        require(actor_membership, Action.OWNER_REMOVE)
    _last_owner_refuse(
        company,
        membership,
        _("A company needs at least one owner. Make someone else an owner first."),
    )
    data = {"email": membership.user.email, "role": membership.role}
    platform_event_record(
        actor=actor, action="membership.removed", target=membership, company=company, data=data
    )
    security_event_record(kind="member_removed", user=actor, company_id=company.pk, data=data)
    membership.delete()


@transaction.atomic
def ownership_transfer(*, company: Company, to_membership: Membership, actor: User) -> Membership:
    """`to_membership` becomes an owner and the acting owner becomes an admin."""
    actor_membership = _actor_membership(company=company, actor=actor, lock=True)
    require(actor_membership, Action.OWNERSHIP_TRANSFER)
    to_membership = (
        Membership.objects.select_for_update().select_related("user").get(pk=to_membership.pk)
    )
    if to_membership.company_id != company.pk:
        raise ValidationError(_("That person is not a member of this company."), code="not_member")
    if to_membership.pk == actor_membership.pk:
        raise ValidationError(_("You already own this company."), code="same_member")
    previous = to_membership.role
    to_membership.role = Role.OWNER
    to_membership.save(update_fields=["role", "updated_at"])
    actor_membership.role = Role.ADMIN
    actor_membership.save(update_fields=["role", "updated_at"])
    data = {"to": to_membership.user.email, "to_previous_role": previous, "from": actor.email}
    platform_event_record(
        actor=actor,
        action="company.ownership_transferred",
        target=company,
        company=company,
        data=data,
    )
    security_event_record(kind="role_changed", user=actor, company_id=company.pk, data=data)
    return to_membership
