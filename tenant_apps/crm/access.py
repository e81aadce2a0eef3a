"""Who may do what in the CRM of the current company.

viewer: read only; member: also create and edit; admin and owner: also delete and restore,
and configure pipelines and custom fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shared_apps.accounts.models import Membership
from shared_apps.tenants.db import connection

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

CrmAction = Literal["view", "create", "edit", "delete", "configure"]

Role = Membership.Role
_ALLOWED: dict[str, frozenset[str]] = {
    "view": frozenset({Role.VIEWER, Role.MEMBER, Role.ADMIN, Role.OWNER}),
    "create": frozenset({Role.MEMBER, Role.ADMIN, Role.OWNER}),
    "edit": frozenset({Role.MEMBER, Role.ADMIN, Role.OWNER}),
    "delete": frozenset({Role.ADMIN, Role.OWNER}),
    "configure": frozenset({Role.ADMIN, Role.OWNER}),
}
_REFUSALS = {
    "view": lambda: _("You are not a member of this company."),
    "create": lambda: _("Viewers cannot add or change records."),
    "edit": lambda: _("Viewers cannot add or change records."),
    "delete": lambda: _("Only the company's owners and admins can delete records."),
    "configure": lambda: _("Only the company's owners and admins can change these settings."),
}


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


def crm_access(*, actor: User | None, action: CrmAction) -> str:
    """The actor's role in the current company (`connection.tenant`), or `PermissionDenied`
    when that role may not do `action`. One query."""
    memberships = _company_memberships()
    role = None
    if actor is not None and actor.is_authenticated and memberships is not None:
        role = memberships.filter(user=actor).values_list("role", flat=True).first()
    if role is None:
        raise PermissionDenied(_REFUSALS["view"]())
    if role not in _ALLOWED[action]:
        raise PermissionDenied(_REFUSALS[action]())
    return role


def is_company_member(user_id: int) -> bool:
    memberships = _company_memberships()
    return memberships is not None and memberships.filter(user_id=user_id).exists()


def members_among(user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who are members of the current company. One query."""
    memberships = _company_memberships()
    if memberships is None:
        return set()
    return set(memberships.filter(user_id__in=list(user_ids)).values_list("user_id", flat=True))
