"""Every URL of both URLconfs, requested (GET) by every kind of visitor, against a table.

A new URL without an entry here fails `test_every_url_has_an_entry`: deciding who may see a
page is part of adding it. Codes: a number is the status; "login" is a redirect to the
host's sign-in page; "<500" (platform admin for staff only) is any non-error status.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.saas.url_walk import Route, walk

COMPANY_ROLES = ("anonymous", "stranger", "viewer", "member", "admin", "owner")
L = "login"

# name -> (anonymous, signed-in non-member, viewer, member, admin, owner) on alpha's host.
# The owner of `alpha` has no usable password, hence the 403s on password re-authentication.
COMPANY: dict[str, tuple[object, ...]] = {
    "home": (L, 404, 200, 200, 200, 200),
    "security_settings": (L, 404, 403, 403, 403, 200),
    "security_events": (L, 404, 403, 403, 403, 200),
    "team": (L, 404, 403, 403, 200, 200),
    # POST-only actions
    "team_invite": (L, 404, 405, 405, 405, 405),
    "team_invitation_resend": (L, 404, 405, 405, 405, 405),
    "team_invitation_revoke": (L, 404, 405, 405, 405, 405),
    "team_member_role": (L, 404, 405, 405, 405, 405),
    "team_member_remove": (L, 404, 405, 405, 405, 405),
    "team_transfer": (L, 404, 405, 405, 405, 405),
    # open to strangers: a bad token is a 400 page, an unknown provider 404
    "onboarding_handoff": (400, 400, 400, 400, 400, 400),
    "onboarding_sso": (404, 404, 404, 404, 404, 404),
    "onboarding_signup_elsewhere": (302, 302, 302, 302, 302, 302),
    "account_login": (200, 302, 302, 302, 302, 302),
    "account_logout": (302, 200, 200, 200, 200, 200),
    "account_inactive": (L, 404, 200, 200, 200, 200),
    # shadowed by onboarding_signup_elsewhere (sent to the public host's sign-up)
    "account_signup": (302, 302, 302, 302, 302, 302),
    "account_reauthenticate": (L, 404, 200, 200, 200, 403),
    "account_request_reauthentication_code": (L, 404, 302, 302, 302, 403),
    "account_confirm_reauthentication_code": (L, 404, 302, 302, 302, 302),
    "account_email": (L, 404, 200, 200, 200, 200),
    "account_email_verification_sent": (200, 200, 200, 200, 200, 200),
    "account_change_password": (L, 404, 200, 200, 200, 302),
    "account_set_password": (L, 404, 302, 302, 302, 200),
    "account_reset_password": (200, 200, 200, 200, 200, 200),
    "account_confirm_login_code": (L, 302, 302, 302, 302, 302),
    "account_confirm_email": (302, 302, 302, 302, 302, 302),  # to the public host
    "account_reset_password_from_key_done": (302, 302, 302, 302, 302, 302),  # public host
    "account_reset_password_from_key": (302, 302, 302, 302, 302, 302),  # to the public host
    "account_reset_password_done": (200, 200, 200, 200, 200, 200),
    "mfa_index": (L, 404, 200, 200, 200, 200),
    "mfa_authenticate": (L, 302, 302, 302, 302, 302),
    "mfa_reauthenticate": (L, 404, 302, 302, 302, 403),
    "mfa_activate_totp": (L, 404, 302, 302, 302, 302),
    "mfa_deactivate_totp": (L, 404, 404, 404, 404, 404),
    "mfa_view_recovery_codes": (L, 404, 404, 404, 404, 404),
    "mfa_generate_recovery_codes": (L, 404, 302, 302, 302, 403),
    "mfa_download_recovery_codes": (L, 404, 404, 404, 404, 404),
    "mfa_list_webauthn": (L, 404, 200, 200, 200, 200),
    "mfa_add_webauthn": (L, 404, 302, 302, 302, 302),
    "mfa_reauthenticate_webauthn": (L, 404, 302, 302, 302, 403),
    "mfa_remove_webauthn": (L, 404, 302, 302, 302, 403),
    "mfa_edit_webauthn": (L, 404, 302, 302, 302, 403),
    "mfa_login_webauthn": (L, 302, 302, 302, 302, 302),
    "usersessions_list": (L, 404, 200, 200, 200, 200),
    "set_language": (302, 302, 302, 302, 302, 302),
}

PUBLIC_ROLES = ("anonymous", "person", "staff")
# name -> (anonymous, signed-in person, platform staff) on the public host.
PUBLIC: dict[str, tuple[object, ...]] = {
    "landing": (200, 200, 200),
    "onboarding_welcome": (L, 200, 200),
    "onboarding_subdomain_check": (L, 200, 200),
    "onboarding_subdomain_suggest": (L, 200, 200),
    "onboarding_go": (L, 404, 404),
    "invitation": (404, 404, 404),
    "account_login": (200, 302, 302),
    "account_logout": (302, 200, 200),
    "account_inactive": (200, 200, 200),
    "account_signup": (200, 302, 302),
    "account_reauthenticate": (L, 403, 200),
    "account_request_reauthentication_code": (L, 403, 302),
    "account_confirm_reauthentication_code": (L, 302, 302),
    "account_email": (L, 200, 200),
    "account_email_verification_sent": (200, 200, 200),
    "account_change_password": (L, 302, 200),
    "account_set_password": (L, 200, 302),
    "account_reset_password": (200, 200, 200),
    "account_confirm_login_code": (L, 302, 302),
    "account_confirm_email": (200, 200, 200),
    "account_reset_password_from_key_done": (200, 200, 200),
    "account_reset_password_from_key": (200, 200, 200),
    "account_reset_password_done": (200, 200, 200),
    "mfa_index": (L, 200, 200),
    "mfa_authenticate": (L, 302, 302),
    "mfa_reauthenticate": (L, 403, 302),
    "mfa_activate_totp": (L, 302, 302),
    "mfa_deactivate_totp": (L, 404, 404),
    "mfa_view_recovery_codes": (L, 404, 404),
    "mfa_generate_recovery_codes": (L, 403, 302),
    "mfa_download_recovery_codes": (L, 404, 404),
    "mfa_list_webauthn": (L, 200, 200),
    "mfa_add_webauthn": (L, 302, 302),
    "mfa_reauthenticate_webauthn": (L, 403, 302),
    "mfa_remove_webauthn": (L, 403, 302),
    "mfa_edit_webauthn": (L, 403, 302),
    "mfa_login_webauthn": (L, 302, 302),
    "socialaccount_login_cancelled": (200, 200, 200),
    "socialaccount_login_error": (401, 401, 401),
    "socialaccount_signup": (L, L, L),
    "socialaccount_connections": (L, 200, 200),
    "accounts/social/login/cancelled/": (301, 301, 301),
    "accounts/social/login/error/": (301, 301, 301),
    "accounts/social/signup/": (301, 301, 301),
    "accounts/social/connections/": (301, 301, 301),
    "set_language": (302, 302, 302),
    "usersessions_list": (L, 200, 200),
    # SSO providers that are not configured (none are, in tests) are "not found"
    "google_login": (404, 404, 404),
    "google_callback": (404, 404, 404),
    "google_login_by_token": (404, 404, 404),
    "microsoft_login": (404, 404, 404),
    "microsoft_callback": (404, 404, 404),
    "github_login": (404, 404, 404),
    "github_callback": (404, 404, 404),
    "openid_connect_login": (404, 404, 404),
    "openid_connect_callback": (404, 404, 404),
    # the platform admin's own sign-in and sign-out pages
    "admin:login": (200, 200, 302),
    "admin:logout": (302, 302, 405),
}
# The platform admin: sign-in for everyone but staff.
ADMIN = ("admin-login", "admin-login", "<500")
# dj-stripe's admin "custom action" view raises (500) on a model name it does not know,
# for staff only; non-staff are still refused. Known library behaviour, not ours.
ADMIN_DJSTRIPE_ACTION = ("admin-login", "admin-login", "any")


# Each area keeps its rows in tests/saas/access/<area>.py: a COMPANY dict of the same form,
# and optionally a PUBLIC one for its pages on the public host.
for _module in sorted(Path(__file__).parent.joinpath("access").glob("[a-z]*.py")):
    _area = importlib.import_module(f"tests.saas.access.{_module.stem}")
    _clash = set(_area.COMPANY) & set(COMPANY)
    assert not _clash, f"{_module.name} repeats {_clash}"
    COMPANY.update(_area.COMPANY)
    _public = getattr(_area, "PUBLIC", {})
    _clash = set(_public) & set(PUBLIC)
    assert not _clash, f"{_module.name} repeats {_clash}"
    PUBLIC.update(_public)


def _outcome(client: Client, path: str) -> object:
    response = client.get(path)
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith("/accounts/login/"):
        return L
    if response.status_code == 302 and location.startswith("/admin/login/"):
        return "admin-login"
    return response.status_code


def _expected_public(route: Route) -> tuple[object, ...] | None:
    if route.key == "admin:djstripe_custom_action":
        return ADMIN_DJSTRIPE_ACTION
    if route.key in PUBLIC:
        return PUBLIC[route.key]
    if route.key.startswith("admin:") or route.pattern.startswith("admin/"):
        return ADMIN
    return PUBLIC.get(route.key)


def test_every_url_has_an_entry() -> None:
    missing = [r.key for r in walk("saas.urls_tenant") if r.key not in COMPANY]
    missing += [r.key for r in walk("saas.urls_public") if _expected_public(r) is None]
    assert missing == [], f"add these URLs to the access matrix: {missing}"


@pytest.fixture
def company_clients(alpha: Company, beta: Company) -> dict[str, Client]:
    clients = {"anonymous": host_client("alpha.localhost")}
    people: dict[str, User] = {
        "stranger": beta.memberships.get(role="owner").user,  # a member elsewhere
        "owner": alpha.memberships.get(role="owner").user,
    }
    for role in ("viewer", "member", "admin"):
        user = make_user()
        Membership.objects.create(user=user, company=alpha, role=role)
        people[role] = user
    for role, user in people.items():
        client = host_client("alpha.localhost")
        client.force_login(user)
        clients[role] = client
    return clients


@pytest.mark.django_db
def test_company_host_access_matrix(company_clients: dict[str, Client]) -> None:
    wrong = []
    for route in walk("saas.urls_tenant"):
        expected = COMPANY[route.key]
        for role, want in zip(COMPANY_ROLES, expected, strict=True):
            got = _outcome(company_clients[role], route.path)
            if got != want:
                wrong.append(f"{route.key} {route.path} as {role}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_public_host_access_matrix(alpha: Company) -> None:
    clients = {"anonymous": host_client("localhost")}
    person = host_client("localhost")
    person.force_login(alpha.memberships.get(role="owner").user)
    staff = host_client("localhost")
    staff.force_login(make_user(is_staff=True, is_superuser=True))
    clients.update(person=person, staff=staff)
    wrong = []
    for route in walk("saas.urls_public"):
        expected = _expected_public(route)
        assert expected is not None
        for role, want in zip(PUBLIC_ROLES, expected, strict=True):
            if want == "any":
                continue
            got = _outcome(clients[role], route.path)
            ok = isinstance(got, int) and got < 500 if want == "<500" else got == want
            if not ok:
                wrong.append(f"{route.key} {route.path} as {role}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
