"""Who may do what in a company: every action of the product, the roles that may do it, and
the few rules that depend on the object ("a member deletes the activities they made").

The one place for these rules. Services are the authority: they call `require` (which raises
`NotPermitted`, a `PermissionDenied`); the `action_required` view decorator, the `can`
template context and the REST API ask `can` for the same answer before showing anything.

    viewer  reads the CRM and keeps private saved views
    member  also creates and edits records, notes, activities and tasks, shares saved views,
            deletes the activities they created
    admin   also deletes, restores and merges records, configures the CRM (pipelines, custom
            fields, tags, lost reasons), manages the team, deletes shared saved views, and
            downloads the final export
    owner   also everything about owners, billing and security settings

Framework-neutral: `can` takes anything with `role` and `user_id` (a `Membership`), or None
for a stranger, and makes no query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from shared_apps.accounts.models import Membership

Role = Membership.Role


class Member(Protocol):
    role: str
    user_id: int


class Action(StrEnum):
    CRM_VIEW = "crm_view"
    RECORD_CREATE = "record_create"
    RECORD_EDIT = "record_edit"
    RECORD_DELETE = "record_delete"
    RECORD_MERGE = "record_merge"
    CRM_CONFIGURE = "crm_configure"
    ACTIVITY_DELETE = "activity_delete"
    SAVED_VIEW_SHARE = "saved_view_share"
    SAVED_VIEW_RENAME = "saved_view_rename"
    SAVED_VIEW_DELETE = "saved_view_delete"
    TEAM_MANAGE = "team_manage"
    OWNER_INVITE = "owner_invite"
    OWNER_ROLE_CHANGE = "owner_role_change"
    OWNER_REMOVE = "owner_remove"
    OWNERSHIP_TRANSFER = "ownership_transfer"
    BILLING_MANAGE = "billing_manage"
    SECURITY_SETTINGS = "security_settings"
    SECURITY_EVENTS = "security_events"
    FINAL_EXPORT = "final_export"


A = Action
_VIEWER = frozenset({A.CRM_VIEW})
_MEMBER = _VIEWER | {A.RECORD_CREATE, A.RECORD_EDIT, A.SAVED_VIEW_SHARE}
_ADMIN = _MEMBER | {
    A.RECORD_DELETE,
    A.RECORD_MERGE,
    A.CRM_CONFIGURE,
    A.ACTIVITY_DELETE,
    A.TEAM_MANAGE,
    A.FINAL_EXPORT,
}
_OWNER = _ADMIN | {
    A.OWNER_INVITE,
    A.OWNER_ROLE_CHANGE,
    A.OWNER_REMOVE,
    A.OWNERSHIP_TRANSFER,
    A.BILLING_MANAGE,
    A.SECURITY_SETTINGS,
    A.SECURITY_EVENTS,
}

# role -> the actions it may do on any object
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: _VIEWER,
    Role.MEMBER: _MEMBER,
    Role.ADMIN: _ADMIN,
    Role.OWNER: _OWNER,
}


# --- object rules: (roles, predicate) that grant an action on one object ------------------

Predicate = Callable[[Member, Any], bool]


def _authored(member: Member, obj: Any) -> bool:
    """`obj.author_id` is the member (an activity with its creator, see `Authored`)."""
    return getattr(obj, "author_id", None) == member.user_id


def _owned(member: Member, obj: Any) -> bool:
    """`obj.owner_id` is the member (a saved view is its saver's)."""
    return getattr(obj, "owner_id", None) == member.user_id


def _shared(member: Member, obj: Any) -> bool:
    return bool(getattr(obj, "shared", False))


_ALL = frozenset(Role.values)
_MANAGERS = frozenset({Role.ADMIN, Role.OWNER})
OBJECT_RULES: dict[Action, tuple[tuple[frozenset[str], Predicate], ...]] = {
    A.ACTIVITY_DELETE: ((frozenset({Role.MEMBER}), _authored),),
    A.SAVED_VIEW_RENAME: ((_ALL, _owned),),
    A.SAVED_VIEW_DELETE: ((_ALL, _owned), (_MANAGERS, _shared)),
}


@dataclass(frozen=True)
class Authored:
    """An object seen through its creator, for rules on who made it."""

    author_id: int | None


_REFUSALS: dict[Action, Callable[[], str]] = {
    A.CRM_VIEW: lambda: _("You are not a member of this company."),
    A.RECORD_CREATE: lambda: _("Viewers cannot add or change records."),
    A.RECORD_EDIT: lambda: _("Viewers cannot add or change records."),
    A.RECORD_DELETE: lambda: _("Only the company's owners and admins can delete records."),
    A.RECORD_MERGE: lambda: _("Only the company's owners and admins can delete records."),
    A.CRM_CONFIGURE: lambda: _("Only the company's owners and admins can change these settings."),
    A.ACTIVITY_DELETE: lambda: _(
        "Only the company's owners and admins, or whoever created it, can delete it."
    ),
    A.SAVED_VIEW_SHARE: lambda: _("Viewers cannot add or change records."),
    A.SAVED_VIEW_RENAME: lambda: _("Only the person who saved a view can rename it."),
    A.SAVED_VIEW_DELETE: lambda: _(
        "Only its owner, or an admin for a shared view, can delete this view."
    ),
    A.TEAM_MANAGE: lambda: _("Only the company's owners and admins can manage the team."),
    A.OWNER_INVITE: lambda: _("Only an owner can invite another owner."),
    A.OWNER_ROLE_CHANGE: lambda: _("Only an owner can make someone an owner or change an owner."),
    A.OWNER_REMOVE: lambda: _("An admin cannot remove an owner."),
    A.OWNERSHIP_TRANSFER: lambda: _("Only an owner can transfer ownership."),
    A.BILLING_MANAGE: lambda: _("Only the company's owners can manage billing and subscriptions."),
    A.SECURITY_SETTINGS: lambda: _("Only the company owner can change its security settings."),
    A.SECURITY_EVENTS: lambda: _("Only the company owner can see its security events."),
    A.FINAL_EXPORT: lambda: _(
        "Only the company's owners and admins can download the final export."
    ),
}


class NotPermitted(PermissionDenied):
    """The one refusal: `message` says, in the user's language, who may do it."""

    def __init__(self, action: Action, message: str | None = None) -> None:
        self.action = action
        self.message = message or refusal(action)
        super().__init__(self.message)


def refusal(action: Action) -> str:
    return _REFUSALS[action]()


def can(member: Member | None, action: Action, obj: Any = None) -> bool:
    """May `member` (None: not a member of the company) do `action` (on `obj`)? No query."""
    role = getattr(member, "role", None)
    if member is None or role not in ROLE_ACTIONS:
        return False
    if action in ROLE_ACTIONS[role]:
        return True
    if obj is None:
        return False
    return any(role in roles and test(member, obj) for roles, test in OBJECT_RULES.get(action, ()))


def can_on_some(member: Member | None, action: Action) -> bool:
    """May `member` do `action` on at least some objects (any object, or those an object
    rule grants)? Lets a caller skip reading the object's facts when the answer is no."""
    role = getattr(member, "role", None)
    return can(member, action) or any(role in roles for roles, _ in OBJECT_RULES.get(action, ()))


def require(member: Member | None, action: Action, obj: Any = None) -> None:
    """`NotPermitted` unless `can(member, action, obj)`; a stranger is told they are not a
    member."""
    if member is None or getattr(member, "role", None) not in ROLE_ACTIONS:
        raise NotPermitted(A.CRM_VIEW)
    if not can(member, action, obj):
        raise NotPermitted(action)


class Allowed:
    """`can` for templates, bound to one membership: `{% if can.record_delete %}`."""

    def __init__(self, member: Member | None) -> None:
        self._member = member

    def __getitem__(self, name: str) -> bool:
        try:
            action = Action(name)
        except ValueError:
            raise KeyError(name) from None
        return can(self._member, action)

    def __contains__(self, name: str) -> bool:
        return name in Action._value2member_map_
