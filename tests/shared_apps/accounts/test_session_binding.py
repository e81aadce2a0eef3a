"""A session is used only on the host it was opened on: a copied cookie is refused on any
other host (the login handoff opens a new session instead), without an extra query; and
"sign out everywhere" ends every session of the person on every host."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.models import User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

PASSWORD = "correct-horse-battery-9"
HOST_KEY = "_host"  # shared_apps.accounts.session_binding.HOST_KEY
BINDING = "shared_apps.accounts.session_binding.SessionHostBindingMiddleware"


def _member(*companies: Company, email: str = "bound@example.test") -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    for company in companies:
        membership_create(user=user, company=company, role="member", actor=None)
    return user


def _signed_in(host: str, user: User) -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _with_cookie(host: str, key: str) -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    return client


@pytest.mark.django_db
class TestSessionBoundToItsHost:
    def test_public_cookie_replayed_on_a_company_host_is_refused(self, alpha: Company) -> None:
        # given a member of alpha signed in on the public host
        user = _member(alpha)
        public = _signed_in("localhost", user)
        key = _key(public)
        data_before = Session.objects.get(session_key=key).get_decoded()
        assert data_before[HOST_KEY] == "localhost"

        # when the cookie is copied to a client on alpha's host
        thief = _with_cookie("alpha.localhost", key)
        response = thief.get("/")

        # then alpha treats it as a stranger, and the session is neither used nor changed
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert thief.get("/accounts/security/")["Location"].startswith("/accounts/login/")
        assert Session.objects.get(session_key=key).get_decoded() == data_before
        # while the person stays signed in where they are
        assert public.get("/welcome/").status_code == 200

    def test_company_cookie_replayed_on_another_company_or_public_is_refused(
        self, alpha: Company, beta: Company
    ) -> None:
        # given a member of both companies signed in on alpha
        user = _member(alpha, beta)
        key = _key(_signed_in("alpha.localhost", user))

        # when the cookie is replayed on beta and on the public host
        on_beta = _with_cookie("beta.localhost", key).get("/")
        on_public = _with_cookie("localhost", key).get("/welcome/")

        # then both refuse it
        assert on_beta["Location"].startswith("/accounts/login/")
        assert on_public["Location"].startswith("/accounts/login/")
        assert _with_cookie("alpha.localhost", key).get("/").status_code == 200

    def test_the_handoff_opens_a_new_session_bound_to_the_company_host(
        self, alpha: Company, beta: Company
    ) -> None:
        # given a member signed in on the public host
        user = _member(alpha)
        public = _signed_in("localhost", user)

        # when they go to alpha through the login handoff
        go = public.get("/go/alpha/")
        token = parse_qs(urlsplit(go["Location"]).query)["token"][0]
        company = host_client("alpha.localhost")
        assert company.get("/handoff/", {"token": token}).status_code == 302

        # then alpha has its own session, bound to alpha, that works there and not on beta
        key = _key(company)
        assert key != _key(public)
        assert Session.objects.get(session_key=key).get_decoded()[HOST_KEY] == "alpha.localhost"
        assert company.get("/").status_code == 200
        assert (
            _with_cookie("beta.localhost", key).get("/")["Location"].startswith("/accounts/login/")
        )
        assert public.get("/welcome/").status_code == 200

    def test_a_session_without_a_host_is_bound_to_the_first_host_using_it(
        self, alpha: Company, beta: Company
    ) -> None:
        # given a session opened before the rule (no host in it)
        user = _member(alpha, beta)
        client = host_client("alpha.localhost")
        client.force_login(user)
        assert HOST_KEY not in Session.objects.get(session_key=_key(client)).get_decoded()

        # when it is used on alpha, then replayed on beta
        assert client.get("/").status_code == 200
        replay = _with_cookie("beta.localhost", _key(client)).get("/")

        # then it now belongs to alpha
        assert replay["Location"].startswith("/accounts/login/")
        assert client.get("/").status_code == 200

    def test_the_check_adds_no_query(self, alpha: Company) -> None:
        # given a member signed in on alpha
        client = _signed_in("alpha.localhost", _member(alpha))
        client.get("/")  # warm routing and content types

        # when the same page is requested with and without the binding check
        with CaptureQueriesContext(connection) as bound:
            assert client.get("/").status_code == 200
        without = [m for m in settings.MIDDLEWARE if m != BINDING]
        with override_settings(MIDDLEWARE=without), CaptureQueriesContext(connection) as unbound:
            assert client.get("/").status_code == 200

        # then it costs the same number of queries
        assert len(bound.captured_queries) == len(unbound.captured_queries)


@pytest.mark.django_db
class TestSignOutEverywhere:
    def test_ends_every_session_on_every_host(self, alpha: Company, beta: Company) -> None:
        # given a member signed in on the public host, on alpha and on beta
        user = _member(alpha, beta)
        clients = {
            h: _signed_in(h, user) for h in ("localhost", "alpha.localhost", "beta.localhost")
        }
        keys = {_key(c) for c in clients.values()}
        other = _signed_in("alpha.localhost", _member(alpha, email="other@example.test"))

        # when they sign out everywhere from alpha's security page
        here = clients["alpha.localhost"]
        page = here.get("/accounts/security/")
        assert page.status_code == 200
        assert "Sign out everywhere" in page.content.decode()
        response = here.post("/accounts/security/sign-out-everywhere/", follow=True)

        # then every one of their sessions is gone server-side, on every host
        assert response.redirect_chain[-1][0] == "/accounts/login/"
        assert "You have been signed out everywhere." in response.content.decode()
        assert not Session.objects.filter(session_key__in=keys).exists()
        assert clients["beta.localhost"].get("/")["Location"].startswith("/accounts/login/")
        assert clients["localhost"].get("/welcome/")["Location"].startswith("/accounts/login/")
        assert here.get("/")["Location"].startswith("/accounts/login/")
        # someone else's session is untouched
        assert other.get("/").status_code == 200
        # and it is the person's own security event, not alpha's
        event = SecurityEvent.objects.get(user=user, kind="sessions_ended")
        assert event.data == {"count": 3, "everywhere": True}
        assert event.company_id is None

    def test_needs_a_post(self, alpha: Company) -> None:
        client = _signed_in("alpha.localhost", _member(alpha))
        assert client.get("/accounts/security/sign-out-everywhere/").status_code == 405
        assert client.get("/").status_code == 200

    def test_anonymous_is_sent_to_sign_in(self) -> None:
        response = host_client("localhost").post("/accounts/security/sign-out-everywhere/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
