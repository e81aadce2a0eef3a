"""With the cache (Redis) down, pages still render from the database, readiness says so,
and everything that counts attempts (sign-in, lockout, sign-up, password reset, API rate)
fails closed with a 503 that changes nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.tenant_apps.crm.factories import member_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def _client(host: str) -> Client:
    return host_client(host, HTTP_ACCEPT_LANGUAGE="en")


def _person(email: str) -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def _assert_refused(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "Temporarily unavailable" in body
    assert "Nothing was changed" in body


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("localhost", "/"),
        ("localhost", "/pricing/"),
        ("localhost", "/accounts/login/"),
        ("alpha.localhost", "/accounts/login/"),
        ("beta.localhost", "/accounts/login/"),
    ],
)
def test_pages_render_from_the_database(
    cache_down: None, alpha: Company, beta: Company, host: str, path: str
) -> None:
    assert _client(host).get(path).status_code == 200


def test_unknown_host_is_still_404(cache_down: None) -> None:
    assert _client("nobody.localhost").get("/accounts/login/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/contacts/", "/organizations/", "/deals/", "/board/"])
def test_signed_in_pages_render(cache_down: None, alpha: Company, path: str) -> None:
    user = member_of(alpha, "member")
    client = _client("alpha.localhost")
    client.force_login(user)
    assert client.get(path).status_code == 200


def test_readiness_names_the_cache(cache_down: None) -> None:
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    assert "cache" in response.json()["failed"]


@pytest.mark.parametrize("password", ["wrong-password-1", PASSWORD])
def test_sign_in_fails_closed(
    cache_down: None, alpha: Company, password: str, caplog: pytest.LogCaptureFixture
) -> None:
    user = _person("closed@example.test")
    events_before = SecurityEvent.objects.count()
    client = _client("alpha.localhost")
    with caplog.at_level(logging.WARNING, logger="security"):
        response = client.post("/accounts/login/", {"login": user.email, "password": password})
    _assert_refused(response)
    # not signed in, nothing recorded as a failure or a success
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.count() == events_before
    assert any(getattr(r, "event", "") == "cache_unavailable" for r in caplog.records)


def test_sign_up_fails_closed(cache_down: None) -> None:
    response = _client("localhost").post(
        "/accounts/signup/",
        {
            "email": "new.person@example.test",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
        },
    )
    _assert_refused(response)
    assert not User.objects.filter(email="new.person@example.test").exists()


def test_password_reset_fails_closed(cache_down: None, send_emails_now: None) -> None:
    user = _person("reset.closed@example.test")
    response = _client("localhost").post("/accounts/password/reset/", {"email": user.email})
    _assert_refused(response)
    assert mail.outbox == []


def test_bulgarian_refusal(cache_down: None) -> None:
    user = _person("bg.closed@example.test")
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="bg")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 503
    assert "Временно недостъпно" in response.content.decode()
