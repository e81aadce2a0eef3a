from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from shared_apps.accounts.models import Membership, User
from shared_apps.audit.services import platform_event_record
from shared_apps.tenants.models import Company


# Both run inside provisioning (and later sign-up) transactions. savepoint=False: an error
# rolls back the caller's whole transaction, which is what those callers want anyway, and it
# saves two round trips per call.
@transaction.atomic(savepoint=False)
def user_get_or_create(*, email: str, full_name: str = "", actor: User | None) -> User:
    email = User.objects.normalize_email(email).lower()
    # Stored lowercase (and unique on lower(email)), so an exact match uses the index.
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    user = User(email=email, full_name=full_name)
    user.set_unusable_password()
    # Email uniqueness was just checked and is enforced (case-insensitively) by the database.
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    user.save()
    platform_event_record(actor=actor, action="user.created", target=user)
    return user


@transaction.atomic(savepoint=False)
def membership_create(*, user: User, company: Company, role: str, actor: User | None) -> Membership:
    membership = Membership(user=user, company=company, role=role)
    # user and company are saved objects in hand; (user, company) is unique in the database.
    membership.full_clean(
        exclude=["user", "company"], validate_unique=False, validate_constraints=False
    )
    membership.save()
    platform_event_record(
        actor=actor,
        action="membership.created",
        target=membership,
        company=company,
        data={"user": user.email, "role": role},
    )
    return membership


@transaction.atomic
def company_require_mfa_set(*, company: Company, required: bool, actor: User) -> Company:
    """Turn the company's "every member needs two-factor authentication" rule on or off."""
    from shared_apps.audit.security import security_event_record

    previous = company.require_mfa
    company.require_mfa = required
    # save() (not a queryset update) so the routing cache drops its copy of the company.
    company.save(update_fields=["require_mfa", "updated_at"])
    if previous != required:
        data = {"require_mfa": required}
        platform_event_record(
            actor=actor,
            action="company.require_mfa_set",
            target=company,
            company=company,
            data=data,
        )
        security_event_record(kind="mfa_changed", user=actor, company_id=company.pk, data=data)
    return company


@transaction.atomic
def user_sessions_end_all(*, user: User, request: HttpRequest | None) -> int:
    """Sign `user` out everywhere: every session of theirs, on every host, is deleted
    server-side (allauth's user sessions list each one opened since sign-in). Recorded as an
    account-level "sessions_ended" event. Returns how many sessions ended."""
    from allauth.usersessions.models import UserSession

    from shared_apps.audit.security import security_event_record

    sessions = list(UserSession.objects.select_for_update().filter(user=user))
    for session in sessions:
        session.end()  # deletes the session row and the listing row
    security_event_record(
        kind="sessions_ended",
        request=request,
        user=user,
        data={"count": len(sessions), "everywhere": True},
        account=True,
    )
    return len(sessions)
