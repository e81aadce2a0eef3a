"""Sessions: host-only cookies, a new key at sign-in, server-side sign-out, a configured
lifetime, and "sign out of other sessions" through allauth's user sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

PASSWORD = "correct-horse-battery-9"


def _member(*companies: Company, email: str = "sess@example.test") -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    for company in companies:
        membership_create(user=user, company=company, role="member", actor=None)
    return user


def _sign_in(client: Client, user: User) -> object:
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def _key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
class TestSessionCookie:
    def test_cookie_is_host_only_http_only_and_lax(self, alpha: Company) -> None:
        # given a member
        user = _member(alpha)

        # when they sign in on alpha
        response = _sign_in(host_client("alpha.localhost"), user)

        # then the session cookie names no domain (so beta never receives it)
        assert settings.SESSION_COOKIE_DOMAIN is None
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]  # type: ignore[attr-defined]
        assert cookie["domain"] == ""
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"

    def test_the_session_key_changes_at_sign_in(self, alpha: Company) -> None:
        # given an anonymous session that already exists on alpha
        user = _member(alpha)
        client = host_client("alpha.localhost")
        session = client.session
        session["seen"] = True
        session.save()
        before = str(session.session_key)
        client.cookies[settings.SESSION_COOKIE_NAME] = before

        # when the person signs in
        _sign_in(client, user)

        # then they get a new key and the old session row is gone
        assert _key(client) != before
        assert not Session.objects.filter(session_key=before).exists()
        assert Session.objects.filter(session_key=_key(client)).exists()

    def test_sign_out_deletes_the_session_row(self, alpha: Company) -> None:
        # given a signed-in member
        user = _member(alpha)
        client = host_client("alpha.localhost")
        _sign_in(client, user)
        key = _key(client)

        # when they sign out
        response = client.post("/accounts/logout/")

        # then the row is deleted server-side (replaying the old cookie gets nothing),
        # and a "logout" event is recorded
        assert response.status_code == 302
        assert not Session.objects.filter(session_key=key).exists()
        replay = host_client("alpha.localhost")
        replay.cookies[settings.SESSION_COOKIE_NAME] = key
        assert replay.get("/")["Location"].startswith("/accounts/login/")
        assert SecurityEvent.objects.filter(user=user, kind="logout").exists()

    def test_lifetime_is_twelve_hours_and_survives_browser_close(self, alpha: Company) -> None:
        # given the default settings
        assert settings.SESSION_COOKIE_AGE == 12 * 3600
        assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
        user = _member(alpha)

        # when a member signs in
        response = _sign_in(host_client("alpha.localhost"), user)

        # then the cookie is persistent for 12 h and the row expires 12 h from now
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]  # type: ignore[attr-defined]
        assert int(cookie["max-age"]) == 12 * 3600
        expires = Session.objects.get(session_key=cookie.value).expire_date
        assert abs(expires - (timezone.now() + timedelta(hours=12))) < timedelta(seconds=30)

    @override_settings(SESSION_COOKIE_AGE=600)
    def test_lifetime_is_configurable(self, alpha: Company) -> None:
        # given SESSION_COOKIE_AGE=600
        user = _member(alpha)

        # when a member signs in
        response = _sign_in(host_client("alpha.localhost"), user)

        # then the session lasts 10 minutes
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]  # type: ignore[attr-defined]
        assert int(cookie["max-age"]) == 600
        expires = Session.objects.get(session_key=cookie.value).expire_date
        assert abs(expires - (timezone.now() + timedelta(seconds=600))) < timedelta(seconds=30)


@pytest.mark.django_db
def test_ending_other_sessions_deletes_them_server_side(alpha: Company, beta: Company) -> None:
    # given a member signed in on alpha, on beta and on the public host
    user = _member(alpha, beta)
    here = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    on_beta, on_public = host_client("beta.localhost"), host_client("localhost")
    for client in (here, on_beta, on_public):
        _sign_in(client, user)
    keep, gone = _key(here), {_key(on_beta), _key(on_public)}
    listing = here.get("/accounts/sessions/")
    assert listing.status_code == 200
    assert listing.context["session_count"] == 3

    # when they end the other sessions from alpha
    response = here.post("/accounts/sessions/")

    # then both other sessions are gone server-side, this one stays, and it is recorded
    assert response.status_code == 302
    assert not Session.objects.filter(session_key__in=gone).exists()
    assert not UserSession.objects.filter(session_key__in=gone).exists()
    assert Session.objects.filter(session_key=keep).exists()
    assert on_beta.get("/")["Location"].startswith("/accounts/login/")
    assert here.get("/").status_code == 200
    event = SecurityEvent.objects.get(user=user, kind="sessions_ended")
    assert event.data == {"count": 2}
    assert event.company_id is None  # the person's own event, not alpha's
