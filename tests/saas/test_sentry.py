"""Sentry: exceptions in a view and in a Celery task reach a local stand-in for the ingest
endpoint, tagged with company, user and request id, with no planted secret in them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django_tenants.utils import schema_context

from saas.celery import app
from saas.logs.task_context import HEADER, USER_HEADER
from saas.sentry import before_send, sentry_init
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.saas.sentry_fake import FakeSentry
from tests.saas.test_logging import PRODUCTION_ENV, ROOT
from tests.saas.test_request_id import member_of

PASSWORD = "Planted-Pa55word-771"
BEARER = "plantedBearerTok3n0123456789"
STRIPE_KEY = "sk_live_PlantedStripeKey0123456789"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4000056655665556"
PLANTED = (PASSWORD, BEARER, STRIPE_KEY, CARD, CARD_DIGITS, "4111111111111111")


@pytest.fixture
def sentry(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSentry]:
    """Sentry initialised in this process against the fake; closed afterwards so that no
    other test reports anywhere."""
    fake = FakeSentry()
    monkeypatch.setenv("SENTRY_DSN", fake.dsn)
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    monkeypatch.setenv("SENTRY_RELEASE", "abc1234")
    assert sentry_init(default_environment="test", default_traces_sample_rate=0.0)
    try:
        yield fake
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        fake.stop()
    assert not sentry_sdk.get_client().is_active()


def flushed(fake: FakeSentry) -> list[dict[str, Any]]:
    sentry_sdk.flush(timeout=5)
    return fake.events()


def wsgi_get(path: str, **headers: str) -> tuple[str, dict[str, str]]:
    """A request through Django's WSGI handler, as gunicorn calls it (Sentry's Django
    integration wraps that handler; the test client bypasses it)."""
    environ = RequestFactory().get(path, **headers).environ  # type: ignore[arg-type]
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], *exc: Any) -> Any:
        answer.update(status=status, headers=dict(response_headers))
        return lambda data: None

    # As the test client does: the test's transaction keeps its connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, start_response)
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return answer["status"], answer["headers"]


def assert_no_secrets(fake: FakeSentry, *extra: str) -> None:
    for secret in (*PLANTED, *extra):
        at = fake.text.find(secret)
        assert at < 0, fake.text[max(0, at - 400) : at + 100]


@app.task(name="tests.saas.sentry_probe")
def sentry_probe(card: str, password: str) -> None:
    token = f"Bearer {BEARER}"  # a local variable Sentry would send with the frame
    raise RuntimeError(f"declined {card} for {STRIPE_KEY} ({len(token)})")


@pytest.mark.django_db
class TestCapture:
    def test_exception_in_a_view(
        self, sentry: FakeSentry, alpha: Company, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(**kwargs: object) -> None:
            password = PASSWORD  # noqa: F841  (a local variable in the frame)
            raise RuntimeError(f"charge {CARD} with {STRIPE_KEY}")

        monkeypatch.setattr("tenant_apps.workspace.views.dashboard_get", broken)
        user = member_of(alpha)
        client = Client()
        client.force_login(user)
        session_id = client.cookies["sessionid"].value
        status, headers = wsgi_get(
            f"/?token={BEARER}&card={CARD_DIGITS}",
            HTTP_HOST="alpha.localhost",
            HTTP_AUTHORIZATION=f"Bearer {BEARER}",
            HTTP_X_API_KEY=STRIPE_KEY,
            HTTP_COOKIE=f"sessionid={session_id}; stripe={STRIPE_KEY}",
        )
        assert status.startswith("500 ")
        [event] = flushed(sentry)
        assert set(sentry.paths) == {"/api/1/envelope/"}
        assert event["tags"]["company"] == "alpha"
        assert event["tags"]["user_id"] == str(user.pk)
        assert event["tags"]["request_id"] == headers["X-Request-ID"]
        assert (event["environment"], event["release"]) == ("staging", "abc1234")
        [exception] = event["exception"]["values"]
        assert exception["type"] == "RuntimeError"
        assert exception["value"] == "charge [REDACTED] with [REDACTED]"
        request = event["request"]
        assert (request["method"], request["url"]) == ("GET", "http://alpha.localhost/")
        assert request["query_string"] == "token=[REDACTED]&card=[REDACTED]"
        assert "cookies" not in request
        assert request["headers"]["Authorization"] == "[REDACTED]"
        assert request["headers"]["X-Api-Key"] == "[REDACTED]"
        assert request["headers"]["Cookie"] == "[REDACTED]"
        assert "user" not in event or "email" not in event["user"]  # send_default_pii off
        assert_no_secrets(sentry, session_id, user.email)

    def test_request_body_is_never_sent(
        self, sentry: FakeSentry, alpha: Company, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failure while a sign-in form (with its password) is being handled."""

        def broken(**kwargs: object) -> None:
            raise RuntimeError("security log unavailable")

        monkeypatch.setattr("shared_apps.accounts.security_signals.security_event_record", broken)
        client = host_client("alpha.localhost", raise_request_exception=False)
        response = client.post(
            "/accounts/login/",
            {"login": "owner@alpha.test", "password": PASSWORD, "card": CARD},
            HTTP_COOKIE=f"csrftoken={BEARER}",
        )
        assert response.status_code == 500
        [event] = flushed(sentry)
        assert event["tags"]["company"] == "alpha"
        assert "user_id" not in event["tags"]  # nobody signed in
        assert event["request"].get("data") in (None, "", "[REDACTED]")
        assert_no_secrets(sentry)

    def test_exception_in_a_celery_task(self, sentry: FakeSentry, alpha: Company) -> None:
        with schema_context(alpha.schema_name):
            result = sentry_probe.apply(
                kwargs={"card": CARD_DIGITS, "password": PASSWORD},
                headers={HEADER: "task-request-0001", USER_HEADER: 31},
            )
        assert result.failed()
        [event] = flushed(sentry)
        tags = event["tags"]
        assert (tags["company"], tags["user_id"], tags["request_id"]) == (
            "alpha",
            "31",
            "task-request-0001",
        )
        assert tags["task_name"] == "tests.saas.sentry_probe"
        [exception] = event["exception"]["values"]
        assert exception["value"].startswith("declined [REDACTED] for [REDACTED]")
        assert_no_secrets(sentry)


class TestSetup:
    def test_off_without_a_dsn(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("SENTRY_DSN", raising=False)
        assert not sentry_init(default_environment="test", default_traces_sample_rate=0.0)
        assert not sentry_sdk.get_client().is_active()

    def test_before_send_drops_bodies_cookies_and_credentials(self) -> None:
        event: Any = {
            "request": {
                "data": {"password": PASSWORD},
                "cookies": {"sessionid": "abc"},
                "headers": {"Cookie": "sessionid=abc", "User-Agent": "Firefox"},
                "query_string": f"token={BEARER}&page=2",
                "url": "http://localhost/invite/InviteToken123/",
                "env": {"REMOTE_ADDR": "192.0.2.1", "SERVER_NAME": "localhost"},
            },
            "extra": {"stripe": STRIPE_KEY, "api_key": "x"},
            "breadcrumbs": {"values": [{"message": f"card {CARD}"}]},
        }
        clean: Any = before_send(event, {})
        assert clean["request"] == {
            "data": "[REDACTED]",
            "headers": {"Cookie": "[REDACTED]", "User-Agent": "Firefox"},
            "query_string": "token=[REDACTED]&page=2",
            "url": "http://localhost/invite/[REDACTED]/",
            "env": {"SERVER_NAME": "localhost"},
        }
        assert clean["extra"] == {"stripe": "[REDACTED]", "api_key": "[REDACTED]"}
        assert clean["breadcrumbs"]["values"][0]["message"] == "card [REDACTED]"

    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            ({}, "production 0.05 deadbeef False"),
            (
                {"SENTRY_ENVIRONMENT": "staging", "SENTRY_TRACES_SAMPLE_RATE": "0.5"},
                "staging 0.5 deadbeef False",
            ),
        ],
    )
    def test_production_settings_start_it(self, env: dict[str, str], expected: str) -> None:
        code = (
            "import django; django.setup(); import sentry_sdk; c = sentry_sdk.get_client(); "
            "o = c.options; print(o['environment'], o['traces_sample_rate'], o['release'], "
            "c.should_send_default_pii(), sorted(c.integrations))"
        )
        full = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
        full.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="saas.settings.production")
        full.update(SENTRY_DSN="http://public@127.0.0.1:9/1", GIT_SHA="deadbeef", **env)
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=full,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(expected + " ")
        for integration in ("'celery'", "'django'", "'redis'"):
            assert integration in result.stdout
