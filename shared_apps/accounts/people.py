"""A person's account as the platform admin manages it: edits, deactivation, anonymisation.

A user is never hard-deleted: records in every company schema keep the person's id
(`owner_id`, `actor_id`, with no database constraint across schemas), so the row stays and
is switched off (`user_deactivate`) or, on request, stripped of everything that identifies
the person (`user_anonymise`). An anonymised user shows as "Former member" wherever a name
is shown (User.get_full_name).

Every service takes the staff member who acts and writes a PlatformEvent row.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.accounts.models import ANONYMISED_DOMAIN, Invitation, LoginHandoff, LoginLink, User
from shared_apps.accounts.services import user_sessions_end_all
from shared_apps.audit.models import PlatformEvent, SecurityEvent
from shared_apps.audit.services import platform_event_record

USER_CHANGED = "user.changed"
USER_DEACTIVATED = "user.deactivated"
USER_ANONYMISED = "user.anonymised"

# What the platform admin may edit on a person directly; the rest has its own flow (email
# addresses through allauth, activity through deactivation).
EDITABLE_FIELDS = ("full_name", "language", "time_zone", "is_staff", "is_superuser")


def anonymous_email(user: User) -> str:
    """The stable address an anonymised user keeps (unique: from the user's uuid)."""
    return f"former-member-{user.uuid.hex}@{ANONYMISED_DOMAIN}"


def _staff_require(actor: User) -> None:
    if actor is None or not (actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only platform staff can do this."))


def _locked(user: User, actor: User) -> User:
    _staff_require(actor)
    if user.pk == actor.pk:
        raise ValidationError(
            _("You cannot deactivate or anonymise your own account."), code="self"
        )
    return User.objects.select_for_update().get(pk=user.pk)


def _replaced(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return new if value.lower() == old.lower() else value
    if isinstance(value, list):
        return [_replaced(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, old, new) for k, v in value.items()}
    return value


def _address_replace(model: type[PlatformEvent | SecurityEvent], *, old: str, new: str) -> None:
    """Replace the address wherever an event's details name it (e.g. "membership.created")."""
    rows = model.objects.annotate(text=Cast("data", TextField())).filter(text__icontains=old)
    for event in rows.only("pk", "data"):
        model.objects.filter(pk=event.pk).update(data=_replaced(event.data, old, new))


@transaction.atomic
def user_staff_update(*, user: User, changes: dict[str, Any], actor: User) -> User:
    """Apply the platform admin's edits (only EDITABLE_FIELDS) and audit which changed."""
    _staff_require(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))},
            code="not_editable",
        )
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_anonymised:
        raise ValidationError(_("An anonymised account cannot be changed."), code="anonymised")
    changed = {}
    for name, value in changes.items():
        before = getattr(locked, name)
        if before != value:
            changed[name] = [before, value]
            setattr(locked, name, value)
    if not changed:
        return locked
    locked.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    locked.save(update_fields=list(changed))
    # The name is personal data: the audit row says that it changed, not what it was.
    data = {k: (v if k != "full_name" else True) for k, v in changed.items()}
    platform_event_record(actor=actor, action=USER_CHANGED, target=locked, data=data)
    return locked


@transaction.atomic
def user_deactivate(*, user: User, actor: User) -> User:
    """Switch the account off: it cannot sign in (inactive users are refused by every
    authentication backend), every session of it ends, unused sign-in links and handoffs
    are dropped. Its memberships stay (the companies' owners remove them with the team
    rules); its records keep pointing at it."""
    locked = _locked(user, actor)
    was_active = locked.is_active
    if was_active:
        locked.is_active = False
        locked.save(update_fields=["is_active"])
    ended = user_sessions_end_all(user=locked, request=None)
    LoginLink.objects.filter(user=locked, used_at__isnull=True).delete()
    LoginHandoff.objects.filter(user=locked, used_at__isnull=True).delete()
    if was_active or ended:
        platform_event_record(
            actor=actor,
            action=USER_DEACTIVATED,
            target=locked,
            data={"sessions_ended": ended},
        )
    user.is_active = False
    return locked


@transaction.atomic
def user_anonymise(*, user: User, actor: User) -> User:
    """Deactivate, then replace everything that identifies the person: the email becomes
    `anonymous_email`, the name is emptied, the password unusable, platform staff rights
    dropped; social accounts, two-factor authenticators and email addresses are deleted;
    the address is replaced in security events and invitations. The row (and its id, which
    company records reference) stays. Doing it again changes nothing."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount

    locked = _locked(user, actor)
    if locked.is_anonymised:
        return locked
    user_deactivate(user=locked, actor=actor)
    old_email = locked.email
    new_email = anonymous_email(locked)
    locked.email = new_email
    locked.full_name = ""
    locked.is_staff = False
    locked.is_superuser = False
    locked.set_unusable_password()
    locked.save(update_fields=["email", "full_name", "is_staff", "is_superuser", "password"])
    locked.groups.clear()
    locked.user_permissions.clear()
    removed = {
        "social_accounts": SocialAccount.objects.filter(user=locked).delete()[0],
        "authenticators": Authenticator.objects.filter(user=locked).delete()[0],
        "email_addresses": EmailAddress.objects.filter(user=locked).delete()[0],
    }
    SecurityEvent.objects.filter(user=locked).update(email=new_email)
    SecurityEvent.objects.filter(user__isnull=True, email__iexact=old_email).update(email=new_email)
    for model in (SecurityEvent, PlatformEvent):
        _address_replace(model, old=old_email, new=new_email)
    invitations = Invitation.objects.filter(email__iexact=old_email)
    now = timezone.now()
    invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    invitations.update(email=new_email)
    platform_event_record(actor=actor, action=USER_ANONYMISED, target=locked, data=removed)
    for name in ("email", "full_name", "is_staff", "is_superuser", "is_active", "password"):
        setattr(user, name, getattr(locked, name))
    return locked
