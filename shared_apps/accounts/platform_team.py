"""Team changes made by platform staff in the platform admin.

Staff are not members of the companies they support, so team.py's role checks (owner or
admin of the company) do not apply to them; every other rule does, through the same code:
`entitlements.seats_check` (the plan's seat limit) before anyone is added,
`membership_create` to add, team.py's last-owner rule before an owner is demoted or
removed. Each change writes a PlatformEvent with the staff member as actor and, for role
changes and removals, the same security event the company's own team page writes.

The `*_check` functions raise the refusal without writing; the admin's forms call them to
show the message next to the field, and the services call them again under their locks.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.accounts import team
from shared_apps.accounts.entitlements import seats_check
from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.security import security_event_record
from shared_apps.audit.services import platform_event_record
from shared_apps.tenants.models import Company

Role = Membership.Role


def _last_owner_message() -> str:
    return _("A company needs at least one owner. Make someone else an owner first.")


def _staff_require(actor: User) -> None:
    if actor is None or not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only platform staff can do this."))


def _membership_locked(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "company")
        .get(pk=membership.pk)
    )


def membership_add_check(*, company: Company, user: User, role: str) -> None:
    team._role_valid(role)
    if not user.is_active:
        raise ValidationError(
            _("%(email)s is deactivated and cannot join a company.") % {"email": user.email},
            code="inactive_user",
        )
    if Membership.objects.filter(company=company, user=user).exists():
        raise ValidationError(
            _("%(email)s is already a member of this company.") % {"email": user.email},
            code="already_member",
        )
    seats_check(company=company)


def membership_role_check(*, membership: Membership, role: str) -> None:
    team._role_valid(role)
    if role != Role.OWNER:
        team._last_owner_refuse(membership.company, membership, _last_owner_message())


def membership_remove_check(*, membership: Membership) -> None:
    team._last_owner_refuse(membership.company, membership, _last_owner_message())


@transaction.atomic
def staff_membership_add(*, company: Company, user: User, role: str, actor: User) -> Membership:
    """Add `user` to `company` with `role`, within the plan's seats."""
    _staff_require(actor)
    company = Company.objects.select_related("plan").get(pk=company.pk)
    membership_add_check(company=company, user=user, role=role)
    return membership_create(user=user, company=company, role=role, actor=actor)


@transaction.atomic
def staff_membership_change_role(*, membership: Membership, role: str, actor: User) -> Membership:
    """Give the member another role; the company keeps at least one owner."""
    _staff_require(actor)
    membership = _membership_locked(membership)
    previous = membership.role
    if previous == role:
        return membership
    membership_role_check(membership=membership, role=role)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    company = membership.company
    data = {"email": membership.user.email, "from": previous, "to": role, "platform_staff": True}
    platform_event_record(
        actor=actor, action="membership.role_changed", target=membership, company=company, data=data
    )
    security_event_record(kind="role_changed", user=actor, company_id=company.pk, data=data)
    return membership


@transaction.atomic
def staff_membership_remove(*, membership: Membership, actor: User) -> None:
    """Remove the member from the company; the company keeps at least one owner."""
    _staff_require(actor)
    membership = _membership_locked(membership)
    membership_remove_check(membership=membership)
    company = membership.company
    data = {"email": membership.user.email, "role": membership.role, "platform_staff": True}
    platform_event_record(
        actor=actor, action="membership.removed", target=membership, company=company, data=data
    )
    security_event_record(kind="member_removed", user=actor, company_id=company.pk, data=data)
    membership.delete()
