from __future__ import annotations

from django.db import transaction

from shared_apps.accounts.models import Membership, User
from shared_apps.audit.services import platform_event_record
from shared_apps.tenants.models import Company


@transaction.atomic
def user_get_or_create(*, email: str, full_name: str = "", actor: User | None) -> User:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    user = User(email=email, full_name=full_name)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    platform_event_record(actor=actor, action="user.created", target=user)
    return user


@transaction.atomic
def membership_create(*, user: User, company: Company, role: str, actor: User | None) -> Membership:
    membership = Membership(user=user, company=company, role=role)
    membership.full_clean()
    membership.save()
    platform_event_record(
        actor=actor,
        action="membership.created",
        target=membership,
        company=company,
        data={"user": user.email, "role": role},
    )
    return membership
