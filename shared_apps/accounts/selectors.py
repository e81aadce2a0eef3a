from __future__ import annotations

from shared_apps.accounts.models import Membership, User


def membership_get(*, user: User, company_id: int | None) -> Membership | None:
    if company_id is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, company_id=company_id).first()
