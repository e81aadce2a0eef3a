"""No password, token, key or card number reaches the log output, whatever path it takes:
a sign-in form, request headers, an exception message, extra fields, a task's arguments."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from saas.celery import app
from saas.logs.scrub import luhn_valid, scrub_text
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.saas.log_capture import CapturedLogs, captured_logs
from tests.saas.test_request_id import member_of

PASSWORD = "Planted-Pa55word-771"
BEARER = "plantedBearerTok3n0123456789"
STRIPE_KEY = "sk_live_PlantedStripeKey0123456789"
WEBHOOK_SECRET = "whsec_PlantedWebhookSecret0123"
CARD = "4111 1111 1111 1111"
CARD_DIGITS = "4000056655665556"
PLANTED = (PASSWORD, BEARER, STRIPE_KEY, WEBHOOK_SECRET, CARD, CARD_DIGITS, "4111111111111111")
SECRET_HEADERS = {
    "HTTP_AUTHORIZATION": f"Bearer {BEARER}",
    "HTTP_X_API_KEY": STRIPE_KEY,
    "HTTP_COOKIE": f"sessionid={PASSWORD}",
}


def assert_clean(logs: CapturedLogs) -> None:
    for secret in PLANTED:
        assert secret not in logs.text, secret
    assert "[REDACTED]" in logs.text  # the secrets were there and were removed


@app.task(name="tests.saas.charge_probe")
def charge_probe(card: str, password: str) -> None:
    raise RuntimeError(f"declined {card} for api_key={STRIPE_KEY}")


@pytest.mark.django_db
class TestPlantedSecrets:
    def test_failed_sign_in(self, alpha: Company) -> None:
        member_of(alpha)
        for client in (host_client("localhost"), host_client("alpha.localhost")):
            with captured_logs() as logs:
                response = client.post(
                    f"/accounts/login/?password={PASSWORD}&card={CARD_DIGITS}",
                    {"login": "owner@alpha.test", "password": PASSWORD, "card": CARD},
                    **SECRET_HEADERS,  # type: ignore[arg-type]
                )
                # a careless line in the code that handled it
                logging.getLogger("shared_apps.probe").warning(
                    "login body %s headers %s", dict(response.wsgi_request.POST), SECRET_HEADERS
                )
            assert response.status_code == 400
            assert [line["event"] for line in logs.lines("security")] == ["login_failed"]
            assert_clean(logs)

    def test_exception_in_a_view(self, alpha: Company, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(**kwargs: object) -> None:
            raise RuntimeError(f"charge {CARD} with {STRIPE_KEY} password={PASSWORD}")

        monkeypatch.setattr("tenant_apps.workspace.views.dashboard_get", broken)
        client = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False)
        client.force_login(member_of(alpha))
        headers = {k: v for k, v in SECRET_HEADERS.items() if k != "HTTP_COOKIE"}
        with captured_logs() as logs:
            response = client.get(f"/?token={BEARER}&password={PASSWORD}", **headers)  # type: ignore[arg-type]
        assert response.status_code == 500
        [error] = logs.lines("django.request")
        assert error["exception_type"] == "RuntimeError"
        assert (
            "RuntimeError: charge [REDACTED] with [REDACTED] password=[REDACTED]"
            in (error["exception"])
        )
        assert_clean(logs)

    def test_extra_fields_and_messages(self) -> None:
        with captured_logs() as logs:
            logging.getLogger("shared_apps.probe").info(
                "paid with %s, stripe key %s, webhook %s",
                CARD,
                STRIPE_KEY,
                WEBHOOK_SECRET,
                extra={
                    "password": PASSWORD,
                    "headers": {"Authorization": f"Bearer {BEARER}"},
                    "payload": {"card_number": CARD_DIGITS, "note": f"card {CARD_DIGITS}"},
                },
            )
        [line] = logs.lines()
        assert line["password"] == "[REDACTED]"
        assert line["headers"] == {"Authorization": "[REDACTED]"}
        assert line["payload"] == {"card_number": "[REDACTED]", "note": "card [REDACTED]"}
        assert_clean(logs)

    def test_failed_task_arguments(self) -> None:
        with captured_logs() as logs:
            result = charge_probe.apply(kwargs={"card": CARD_DIGITS, "password": PASSWORD})
        assert result.failed()
        assert any(line["level"] == "ERROR" for line in logs.lines("celery.app.trace"))
        assert_clean(logs)


class TestScrubber:
    def test_card_numbers_need_the_luhn_check(self) -> None:
        assert luhn_valid("4111111111111111")
        assert not luhn_valid("4111111111111112")
        assert scrub_text("order 4111111111111112") == "order 4111111111111112"
        assert scrub_text("order 4111-1111-1111-1111.") == "order [REDACTED]."
        assert scrub_text("id 1234567") == "id 1234567"  # too short for a card

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED] [REDACTED]"),
            ("basic Basic dXNlcjpwYXNz", "basic Basic [REDACTED]"),
            ('{"password": "two words", "n": 1}', '{"password": "[REDACTED]", "n": 1}'),
            ("client_secret=abc&x=1", "client_secret=[REDACTED]&x=1"),
            ("csrftoken=abc; sessionid=def", "csrftoken=[REDACTED]; sessionid=[REDACTED]"),
            (
                "GET /accounts/password/reset/key/3f-abc123/",
                "GET /accounts/password/reset/key/[REDACTED]/",
            ),
            ("tokens_used=1200 kind=password_changed", "tokens_used=1200 kind=password_changed"),
            ("at 2026-11-28T13:00:00.123456Z", "at 2026-11-28T13:00:00.123456Z"),
        ],
    )
    def test_patterns(self, text: str, expected: str) -> None:
        assert scrub_text(text) == expected
