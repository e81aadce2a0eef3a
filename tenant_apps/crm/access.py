"""The CRM side of `shared_apps.accounts.permissions`: the actor's membership of the current
company (`connection.tenant`), checked against the one table of who may do what.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permissions import Action, require
from shared_apps.tenants.db import connection

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def _company_memberships() -> QuerySet[Membership] | None:
    """Memberships of the current company. Matched by schema name rather than
    `connection.tenant.pk`: `schema_context` (tasks, hooks, tests) sets a tenant without one."""
    schema = connection.schema_name
    if not schema or schema == "public":
        return None
    company_id = getattr(getattr(connection, "tenant", None), "pk", None)
    if company_id is not None:
        return Membership.objects.filter(company_id=company_id)
    return Membership.objects.filter(company__schema_name=schema)


def crm_access(*, actor: User | None, action: Action, obj: Any = None) -> Membership:
    """The actor's membership of the current company, or `NotPermitted` (a
    `PermissionDenied`) when it may not do `action` (on `obj`). One query."""
    memberships = _company_memberships()
    membership = None
    if actor is not None and actor.is_authenticated and memberships is not None:
        membership = memberships.filter(user=actor).only("role", "user_id", "company_id").first()
    require(membership, action, obj)
    assert membership is not None
    return membership


def is_company_member(user_id: int) -> bool:
    memberships = _company_memberships()
    return memberships is not None and memberships.filter(user_id=user_id).exists()


def members_among(user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who are members of the current company. One query."""
    memberships = _company_memberships()
    if memberships is None:
        return set()
    return set(memberships.filter(user_id__in=list(user_ids)).values_list("user_id", flat=True))
