"""The one table of who may do what (shared_apps/accounts/permissions.py), spelled out: every
role × every action, and the object rules. A change to a rule shows here in the diff."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permission_views import permissions_context
from shared_apps.accounts.permissions import (
    ROLE_ACTIONS,
    Action,
    Allowed,
    Authored,
    NotPermitted,
    can,
    can_on_some,
    refusal,
    require,
)
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

A = Action
ROLES = ("viewer", "member", "admin", "owner")
Y, N = True, False

# action -> (viewer, member, admin, owner), on any object
MATRIX: dict[Action, tuple[bool, bool, bool, bool]] = {
    A.CRM_VIEW: (Y, Y, Y, Y),
    A.RECORD_CREATE: (N, Y, Y, Y),
    A.RECORD_EDIT: (N, Y, Y, Y),
    A.RECORD_DELETE: (N, N, Y, Y),
    A.RECORD_MERGE: (N, N, Y, Y),
    A.CRM_CONFIGURE: (N, N, Y, Y),
    A.ACTIVITY_DELETE: (N, N, Y, Y),
    A.SAVED_VIEW_SHARE: (N, Y, Y, Y),
    A.SAVED_VIEW_RENAME: (N, N, N, N),
    A.SAVED_VIEW_DELETE: (N, N, N, N),
    A.TEAM_MANAGE: (N, N, Y, Y),
    A.OWNER_INVITE: (N, N, N, Y),
    A.OWNER_ROLE_CHANGE: (N, N, N, Y),
    A.OWNER_REMOVE: (N, N, N, Y),
    A.OWNERSHIP_TRANSFER: (N, N, N, Y),
    A.BILLING_MANAGE: (N, N, N, Y),
    A.SECURITY_SETTINGS: (N, N, N, Y),
    A.SECURITY_EVENTS: (N, N, N, Y),
    A.FINAL_EXPORT: (N, N, Y, Y),
}

ME, SOMEONE = 7, 8
# (action, object, (viewer, member, admin, owner)) where the object decides
OBJECT_MATRIX: list[tuple[Action, object, tuple[bool, bool, bool, bool]]] = [
    (A.ACTIVITY_DELETE, Authored(author_id=ME), (N, Y, Y, Y)),
    (A.ACTIVITY_DELETE, Authored(author_id=SOMEONE), (N, N, Y, Y)),
    (A.ACTIVITY_DELETE, Authored(author_id=None), (N, N, Y, Y)),
    (A.SAVED_VIEW_RENAME, SimpleNamespace(owner_id=ME, shared=False), (Y, Y, Y, Y)),
    (A.SAVED_VIEW_RENAME, SimpleNamespace(owner_id=SOMEONE, shared=True), (N, N, N, N)),
    (A.SAVED_VIEW_DELETE, SimpleNamespace(owner_id=ME, shared=False), (Y, Y, Y, Y)),
    (A.SAVED_VIEW_DELETE, SimpleNamespace(owner_id=ME, shared=True), (Y, Y, Y, Y)),
    (A.SAVED_VIEW_DELETE, SimpleNamespace(owner_id=SOMEONE, shared=True), (N, N, Y, Y)),
    (A.SAVED_VIEW_DELETE, SimpleNamespace(owner_id=SOMEONE, shared=False), (N, N, N, N)),
    # an object does not lift a role rule: a viewer's own record is still not theirs to delete
    (A.RECORD_DELETE, SimpleNamespace(owner_id=ME, author_id=ME, shared=True), (N, N, Y, Y)),
]


def member(role: str, user_id: int = ME) -> Membership:
    return Membership(role=role, user_id=user_id, company_id=1)


def test_the_matrix_names_every_action_and_every_role() -> None:
    assert set(MATRIX) == set(Action)
    assert set(ROLE_ACTIONS) == set(ROLES) == set(Membership.Role.values)


@pytest.mark.parametrize("action", list(Action))
def test_every_role_against_every_action(action: Action) -> None:
    got = tuple(can(member(role), action) for role in ROLES)
    assert got == MATRIX[action], action


@pytest.mark.parametrize(("action", "obj", "expected"), OBJECT_MATRIX)
def test_object_rules(action: Action, obj: object, expected: tuple[bool, ...]) -> None:
    assert tuple(can(member(role), action, obj) for role in ROLES) == expected


@pytest.mark.parametrize("action", list(Action))
def test_strangers_and_unknown_roles_may_do_nothing(action: Action) -> None:
    mine = SimpleNamespace(owner_id=ME, author_id=ME, shared=True)
    assert can(None, action) is False
    assert can(None, action, mine) is False
    assert can(member("guest"), action, mine) is False
    with translation.override("en"), pytest.raises(NotPermitted) as refused:
        require(None, action)
    assert refused.value.message == "You are not a member of this company."


def test_can_on_some_says_whether_an_object_could_change_the_answer() -> None:
    assert [can_on_some(member(r), A.ACTIVITY_DELETE) for r in ROLES] == [N, Y, Y, Y]
    assert [can_on_some(member(r), A.RECORD_DELETE) for r in ROLES] == [N, N, Y, Y]
    assert can_on_some(None, A.SAVED_VIEW_RENAME) is False


def test_require_raises_the_one_refusal_with_the_actions_message() -> None:
    require(member("owner"), A.BILLING_MANAGE)
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        require(member("admin"), A.BILLING_MANAGE)
    assert isinstance(refused.value, NotPermitted)
    assert refused.value.action == A.BILLING_MANAGE
    assert str(refused.value) == "Only the company's owners can manage billing and subscriptions."
    require(member("member"), A.ACTIVITY_DELETE, Authored(author_id=ME))
    with translation.override("en"), pytest.raises(NotPermitted, match="whoever created it"):
        require(member("member"), A.ACTIVITY_DELETE, Authored(author_id=SOMEONE))


@pytest.mark.parametrize("action", list(Action))
def test_every_refusal_is_translated(action: Action) -> None:
    with translation.override("en"):
        english = refusal(action)
    with translation.override("bg"):
        bulgarian = refusal(action)
    assert english
    assert bulgarian != english


def test_every_action_a_template_names_exists() -> None:
    """A template's `can.<name>` with a typo would quietly be False: every name is checked."""
    root = Path(__file__).resolve().parents[3]
    named = set()
    for folder in ("templates", "tenant_apps", "shared_apps"):
        for template in (root / folder).rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            named |= set(re.findall(r"\bcan\.([a-z_]+)", text))
            named |= set(re.findall(r'{% allowed "([a-z_]+)"', text))
    assert named, "no template asks: the pattern is out of date"
    assert named <= {a.value for a in Action}, named - {a.value for a in Action}


@pytest.mark.django_db
def test_templates_ask_the_same_table_without_a_query(
    django_assert_num_queries: object,
) -> None:
    template = Template(
        "{% load permissions %}"
        "{% if can.record_edit %}edit {% endif %}"
        "{% if can.record_delete %}delete {% endif %}"
        "{% if can.no_such_action %}never{% endif %}"
        '{% allowed "saved_view_delete" view as may %}{% if may %}drop{% endif %}'
    )
    shared = SimpleNamespace(owner_id=SOMEONE, shared=True)
    rendered = {}
    with django_assert_num_queries(0):  # type: ignore[operator]
        for role in ROLES:
            request = RequestFactory().get("/")
            request.membership = member(role)  # type: ignore[attr-defined]
            context = Context({"request": request, "view": shared, **permissions_context(request)})
            rendered[role] = template.render(context).split()
    assert rendered == {
        "viewer": [],
        "member": ["edit"],
        "admin": ["edit", "delete", "drop"],
        "owner": ["edit", "delete", "drop"],
    }
    assert "record_edit" in Allowed(None)
    assert "no_such_action" not in Allowed(None)
    assert Allowed(None)["record_edit"] is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "message"),
    [
        ("en", "Not allowed", "Only the company&#x27;s owners and admins can manage the team."),
        ("bg", "Не е позволено", "Само собствениците и администраторите на фирмата могат"),
    ],
)
def test_the_view_decorator_answers_403_in_the_users_language(
    alpha: Company, language: str, title: str, message: str
) -> None:
    user = make_user(language=language)
    Membership.objects.create(user=user, company=alpha, role=Membership.Role.MEMBER)
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get("/team/")
    assert response.status_code == 403
    body = response.content.decode()
    assert title in body
    assert message in body
    assert response.templates[0].name == "forbidden.html"
