"""TOTP with recovery codes: enrolment, sign-in, secrets encrypted at rest, one use per code
(across hosts), removal, and a password reset that never skips the second factor."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client

from shared_apps.accounts import crypto
from shared_apps.accounts.models import User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.webauthn_soft import SoftAuthenticator, js_data

PASSWORD = "correct-horse-battery-9"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"


def _member(*companies: Company, email: str = "mfa@example.test") -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    for company in companies:
        membership_create(user=user, company=company, role="member", actor=None)
    return user


def _client(host: str = "alpha.localhost") -> Client:
    return host_client(host, HTTP_ACCEPT_LANGUAGE="en")


def _password_step(client: Client, user: User, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": user.email, "password": password})


def _signed_in(client: Client, user: User) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def _enrol_totp(client: Client, user: User, capture: Callable[..., Any]) -> str:
    """Sign in with the password and activate TOTP; returns the plain secret."""
    assert _password_step(client, user).status_code == 302
    # allauth asks for the password again before any MFA change
    assert client.get("/accounts/2fa/totp/activate/").status_code == 302
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    with capture(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(secret)


def _sign_out(client: Client) -> None:
    client.post("/accounts/logout/")


@pytest.mark.django_db
class TestTotp:
    def test_enrolment_stores_the_secret_encrypted_and_creates_recovery_codes(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member signed in with a password
        user = _member(alpha)
        client = _client()

        # when they activate an authenticator app with a code computed from its secret
        secret = _enrol_totp(client, user, django_capture_on_commit_callbacks)

        # then the stored secret is not the plain one, and decrypts to it
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        stored = totp.data["secret"]
        assert stored != secret
        assert secret not in stored
        assert stored.startswith(crypto.PREFIX)
        assert crypto.decrypt(stored) == secret
        # recovery codes came with it, and the change is a security event
        assert Authenticator.objects.filter(
            user=user, type=Authenticator.Type.RECOVERY_CODES
        ).exists()
        events = SecurityEvent.objects.filter(user=user, kind="mfa_changed")
        assert sorted(e.data["type"] for e in events) == ["recovery_codes", "totp"]
        assert {e.data["action"] for e in events} == {"added"}

    def test_sign_in_asks_for_the_code_and_a_code_works_once_across_hosts(
        self, alpha: Company, beta: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member of alpha and beta with TOTP
        user = _member(alpha, beta)
        first = _client()
        secret = _enrol_totp(first, user, django_capture_on_commit_callbacks)
        _sign_out(first)

        # when they sign in on alpha: the password alone is not enough
        response = _password_step(first, user)
        assert response.status_code == 302
        assert response["Location"] == MFA_AUTHENTICATE
        assert not _signed_in(first, user)
        code = pyotp.TOTP(secret).now()
        assert first.post(MFA_AUTHENTICATE, {"code": code}).status_code == 302

        # then they are in
        assert _signed_in(first, user)
        assert SecurityEvent.objects.filter(user=user, kind="login").count() == 2

        # when the same code is replayed from another client on beta
        second = _client("beta.localhost")
        assert _password_step(second, user)["Location"] == MFA_AUTHENTICATE
        replay = second.post(MFA_AUTHENTICATE, {"code": code})

        # then it is refused (the used-code marker is in the global cache)
        assert replay.status_code == 400
        assert "Incorrect code." in replay.content.decode()
        assert not _signed_in(second, user)

    def test_a_wrong_code_is_refused(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member with TOTP who passed the password step
        user = _member(alpha)
        client = _client()
        secret = _enrol_totp(client, user, django_capture_on_commit_callbacks)
        _sign_out(client)
        _password_step(client, user)

        # when they enter a code that is not the current one
        wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
        response = client.post(MFA_AUTHENTICATE, {"code": wrong})

        # then they stay signed out
        assert response.status_code == 400
        assert not _signed_in(client, user)

    def test_a_recovery_code_works_once(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member with TOTP and recovery codes
        user = _member(alpha)
        client = _client()
        _enrol_totp(client, user, django_capture_on_commit_callbacks)
        _sign_out(client)
        codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES).wrap()
        code = codes.get_unused_codes()[0]

        # when they sign in with a recovery code
        _password_step(client, user)
        assert client.post(MFA_AUTHENTICATE, {"code": code}).status_code == 302
        assert _signed_in(client, user)
        _sign_out(client)

        # then the same recovery code is refused the second time
        _password_step(client, user)
        response = client.post(MFA_AUTHENTICATE, {"code": code})
        assert response.status_code == 400
        assert not _signed_in(client, user)

    def test_removing_totp_is_a_security_event(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member with TOTP, just signed in
        user = _member(alpha)
        client = _client()
        _enrol_totp(client, user, django_capture_on_commit_callbacks)

        # when they deactivate it
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/accounts/2fa/totp/deactivate/")

        # then it is gone and recorded
        assert response.status_code == 302
        assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert SecurityEvent.objects.filter(
            user=user, kind="mfa_changed", data__action="removed"
        ).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("send_emails_now")
def test_password_reset_does_not_bypass_mfa(
    alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # given a member with TOTP who has forgotten their password
    user = _member(alpha)
    client = _client()
    _enrol_totp(client, user, django_capture_on_commit_callbacks)
    _sign_out(client)
    mail.outbox.clear()

    # when they reset it through the emailed link
    public = _client("localhost")
    assert public.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    link = re.search(
        r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", str(mail.outbox[0].body)
    )
    assert link is not None
    path = link.group(0).split("localhost", 1)[1]
    form_url = public.get(path)["Location"]
    new = "a brand new passphrase 2026"
    done = public.post(form_url, {"password1": new, "password2": new})

    # then the reset does not sign them in, and signing in still asks for the second factor
    assert done.status_code == 302
    assert not _signed_in(public, user)
    assert SecurityEvent.objects.filter(user=user, kind="password_reset").exists()
    response = _password_step(public, user, new)
    assert response.status_code == 302
    assert response["Location"] == MFA_AUTHENTICATE
    assert not _signed_in(public, user)


@pytest.mark.django_db
class TestRequireMFAMiddleware:
    def _require(self, company: Company) -> None:
        from shared_apps.accounts.models import Membership
        from shared_apps.accounts.services import company_require_mfa_set

        owner = Membership.objects.get(company=company, role="owner").user
        company_require_mfa_set(company=company, required=True, actor=owner)

    def test_a_member_without_mfa_is_sent_to_set_it_up(self, alpha: Company, beta: Company) -> None:
        # given alpha requires MFA and a member of alpha and beta has none
        self._require(alpha)
        user = _member(alpha, beta)
        client = _client()
        client.force_login(user)

        # when they open a company page
        response = client.get("/")

        # then they are redirected to the MFA page, which (and its setup pages) open
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/"
        assert client.get("/settings/security/")["Location"] == "/accounts/2fa/"
        assert client.get("/accounts/2fa/").status_code == 200
        activate = client.get("/accounts/2fa/totp/activate/")
        assert activate["Location"].startswith("/accounts/reauthenticate/")
        assert client.get("/accounts/reauthenticate/").status_code == 200
        # beta does not require it, and the public host is never affected
        on_beta = _client("beta.localhost")
        on_beta.force_login(user)
        assert on_beta.get("/").status_code == 200
        # signing out still works
        assert client.post("/accounts/logout/").status_code == 302
        assert "_auth_user_id" not in client.session

    def test_a_member_with_mfa_passes(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given alpha requires MFA and a member enrols TOTP through the allowed pages
        self._require(alpha)
        user = _member(alpha)
        client = _client()
        _enrol_totp(client, user, django_capture_on_commit_callbacks)

        # when they open a company page
        response = client.get("/")

        # then they get it
        assert response.status_code == 200

    def test_anonymous_visitors_are_left_to_the_sign_in_page(self, alpha: Company) -> None:
        self._require(alpha)
        client = _client()
        assert client.get("/")["Location"].startswith("/accounts/login/")
        assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
class TestWebAuthn:
    """Passkeys with a software authenticator (tests/webauthn_soft.py)."""

    def _register(
        self,
        client: Client,
        user: User,
        capture: Callable[..., Any],
        origin: str = "http://alpha.localhost",
    ) -> SoftAuthenticator:
        assert _password_step(client, user).status_code == 302
        assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
        page = client.get("/accounts/2fa/webauthn/add/")
        assert page.status_code == 200
        key = SoftAuthenticator(origin=origin)
        credential = key.create(js_data(page.content.decode())["creation_options"])
        with capture(execute=True):
            response = client.post(
                "/accounts/2fa/webauthn/add/",
                {"name": "Laptop", "passwordless": "on", "credential": json.dumps(credential)},
            )
        assert response.status_code == 302, response.content.decode()[:3000]
        return key

    def test_registration_stores_a_passkey_for_the_base_domain(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a signed-in member
        user = _member(alpha)
        client = _client()

        # when they add a passkey made by the software authenticator
        key = self._register(client, user, django_capture_on_commit_callbacks)

        # then it is stored for relying party "localhost" (BASE_DOMAIN), and recorded
        stored = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
        data = stored.wrap().authenticator_data
        assert data.rp_id_hash == hashlib.sha256(b"localhost").digest()
        assert data.credential_data.credential_id == key.credential_id
        assert SecurityEvent.objects.filter(
            user=user, kind="mfa_changed", data__type="webauthn"
        ).exists()

    def test_passkey_as_second_factor_on_another_company_host(
        self,
        alpha: Company,
        beta: Company,
        django_capture_on_commit_callbacks: Callable[..., Any],
    ) -> None:
        # given a member of alpha and beta who registered a passkey on alpha
        user = _member(alpha, beta)
        key = self._register(_client(), user, django_capture_on_commit_callbacks)
        key.origin = "http://beta.localhost"

        # when they sign in on beta: password, then the passkey
        client = _client("beta.localhost")
        assert _password_step(client, user)["Location"] == MFA_AUTHENTICATE
        page = client.get(MFA_AUTHENTICATE)
        assertion = key.get(js_data(page.content.decode())["request_options"])
        response = client.post(MFA_AUTHENTICATE, {"credential": json.dumps(assertion)})

        # then they are in: one passkey works on every company host
        assert response.status_code == 302
        assert _signed_in(client, user)

    def test_a_replayed_assertion_is_refused(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a passkey assertion that was used once
        user = _member(alpha)
        key = self._register(_client(), user, django_capture_on_commit_callbacks)
        first = _client()
        _password_step(first, user)
        page = first.get(MFA_AUTHENTICATE)
        assertion = key.get(js_data(page.content.decode())["request_options"])
        assert (
            first.post(MFA_AUTHENTICATE, {"credential": json.dumps(assertion)}).status_code == 302
        )

        # when it is posted again in another sign-in (another challenge)
        second = _client()
        _password_step(second, user)
        second.get(MFA_AUTHENTICATE)
        response = second.post(MFA_AUTHENTICATE, {"credential": json.dumps(assertion)})

        # then it is refused
        assert response.status_code == 400
        assert not _signed_in(second, user)

    def test_passwordless_sign_in_with_the_passkey(
        self, alpha: Company, django_capture_on_commit_callbacks: Callable[..., Any]
    ) -> None:
        # given a member with a passwordless passkey
        user = _member(alpha)
        key = self._register(_client(), user, django_capture_on_commit_callbacks)
        key.origin = "http://localhost"

        # when they sign in with it alone on the public host
        client = _client("localhost")
        options = client.get(
            "/accounts/2fa/webauthn/login/", HTTP_X_REQUESTED_WITH="XMLHttpRequest"
        ).json()["request_options"]
        assertion = key.get(options, rp_id="localhost")
        response = client.post(
            "/accounts/2fa/webauthn/login/", {"credential": json.dumps(assertion)}
        )

        # then they are signed in
        assert response.status_code == 302
        assert _signed_in(client, user)


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_allauth_pages_use_the_product_layout(host: str, alpha: Company) -> None:
    # given the sign-in page on the public host and on a company host
    response = _client(host).get("/accounts/login/")

    # then it has our header, stylesheet and language switch, no inline styles, and the
    # passkey script comes from allauth's static files
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="topbar"' in body
    assert "/static/css/app.css" in body
    assert 'action="/i18n/setlang/"' in body
    assert "<style" not in body
    assert "style=" not in body
    assert "/static/mfa/js/webauthn.js" in body
    scripts = re.findall(r"<script([^>]*)>", body)
    assert all("src=" in attrs or "application/json" in attrs for attrs in scripts)
