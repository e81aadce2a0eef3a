"""Every URL says which gates of a company host it passes (shared_apps/accounts/url_access.py):
members only, two-factor set up first, and what the billing state allows. The three
middlewares read only these declarations; this spells out every URL that is not a plain
company page, so a change shows in the diff."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import ResolverMatch, resolve

from shared_apps.accounts.url_access import COMPANY_PAGE, SIGN_IN, access_for, declared
from tests.saas.url_walk import walk

TENANT, PUBLIC = "saas.urls_tenant", "saas.urls_public"
F, A, B, E = "follows", "always", "billing", "export"

# URL name -> (members only, MFA set up first, billing) for every company URL that is not a
# company page (members only, MFA first, as the billing state allows).
NOT_COMPANY_PAGES: dict[str, tuple[bool, bool, str]] = {
    "crm:organization_export": (True, True, E),
    "crm:contact_export": (True, True, E),
    "crm:deal_export": (True, True, E),
    "crm:activity_export": (True, True, E),
    "crm:final_export": (True, True, E),
    "onboarding_handoff": (False, True, A),
    "onboarding_sso": (False, True, A),
    "onboarding_signup_elsewhere": (False, True, A),
    "billing:overview": (True, True, B),
    "billing:subscribe": (True, True, B),
    "billing:checkout_done": (True, True, B),
    "billing:change": (True, True, B),
    "billing:cancel": (True, True, B),
    "billing:resume": (True, True, B),
    "billing:portal": (True, True, B),
    "usage:usage": (True, True, B),
    "account_security": (True, True, A),
    "account_sign_out_everywhere": (True, True, A),
    "company_reset_to_public": (False, True, A),
    "company_confirm_email_to_public": (False, True, A),
    "company_login_link_to_public": (False, False, A),
    "company_login_link_open_to_public": (False, False, A),
    "account_login": (False, False, A),
    "account_signup": (False, True, A),  # served by onboarding_signup_elsewhere
    "account_logout": (False, False, A),
    "account_inactive": (True, True, A),
    "account_reauthenticate": (True, False, A),
    "account_request_reauthentication_code": (True, False, A),
    "account_confirm_reauthentication_code": (True, False, A),
    "account_email": (True, True, A),
    "account_email_verification_sent": (False, True, A),
    "account_change_password": (True, True, A),
    "account_set_password": (True, True, A),
    "account_reset_password": (False, True, A),
    "account_confirm_login_code": (False, False, A),
    "account_confirm_email": (False, True, A),
    "account_reset_password_from_key_done": (False, True, A),
    "account_reset_password_from_key": (False, True, A),
    "account_reset_password_done": (False, True, A),
    "mfa_index": (True, False, A),
    "mfa_authenticate": (False, False, A),
    "mfa_reauthenticate": (True, False, A),
    "mfa_activate_totp": (True, False, A),
    "mfa_deactivate_totp": (True, False, A),
    "mfa_view_recovery_codes": (True, False, A),
    "mfa_generate_recovery_codes": (True, False, A),
    "mfa_download_recovery_codes": (True, False, A),
    "mfa_list_webauthn": (True, False, A),
    "mfa_add_webauthn": (True, False, A),
    "mfa_reauthenticate_webauthn": (True, False, A),
    "mfa_remove_webauthn": (True, False, A),
    "mfa_edit_webauthn": (True, False, A),
    "mfa_login_webauthn": (False, False, A),
    "usersessions_list": (True, True, A),
    "set_language": (False, False, A),
}


def _served(urlconf: str) -> dict[str, ResolverMatch]:
    """Each route's served view (the first pattern that matches its sample path), by name."""
    served: dict[str, ResolverMatch] = {}
    for route in walk(urlconf):
        served[route.key] = resolve(route.path, urlconf=urlconf)
    return served


def test_every_company_url_has_a_declaration() -> None:
    served = _served(TENANT)
    missing = sorted(key for key, match in served.items() if declared(match) is None)
    assert missing == []


def test_urls_on_both_hosts_are_declared_and_the_others_are_public_host_only() -> None:
    """The public host's own URLs (admin, sign-up, webhooks, pricing) pass no company gate:
    none of the three middlewares acts there. A URL on both hosts is declared."""
    company_views = {m.view_name for m in _served(TENANT).values()}
    for key, match in _served(PUBLIC).items():
        if match.view_name in company_views:
            assert declared(match) is not None, key


def test_the_declarations_of_company_urls() -> None:
    got = {}
    for key, match in _served(TENANT).items():
        access = declared(match)
        assert access is not None, key
        if access != COMPANY_PAGE:
            got[key] = (access.members_only, access.mfa_first, access.billing.value)
    assert got == NOT_COMPANY_PAGES


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/no/such/page/", COMPANY_PAGE), ("/static/crm/app.css", SIGN_IN)],
)
def test_unknown_paths_are_company_pages_and_static_files_pass(path: str, expected: object) -> None:
    request = RequestFactory().get(path)
    request.urlconf = TENANT  # type: ignore[attr-defined]
    assert access_for(request) == expected
    assert request._url_access == expected  # type: ignore[attr-defined]  # resolved once
