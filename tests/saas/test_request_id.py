"""X-Request-ID: kept when well-formed, generated otherwise, returned, and one log line per
request with method, path, status, duration, company and user."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.saas.log_capture import captured_logs

HEX32 = re.compile(r"[0-9a-f]{32}")


def member_of(company: Company) -> User:
    user = make_user()
    Membership.objects.create(user=user, company=company, role=Membership.Role.MEMBER)
    return user


@pytest.mark.django_db
class TestRequestId:
    def test_generated_when_absent(self, public_client: Client) -> None:
        response = public_client.get("/")
        assert HEX32.fullmatch(response["X-Request-ID"])

    def test_each_request_gets_its_own(self, public_client: Client) -> None:
        ids = {public_client.get("/")["X-Request-ID"] for _ in range(3)}
        assert len(ids) == 3

    def test_well_formed_incoming_id_is_kept(self, public_client: Client) -> None:
        incoming = "0f8e2b9c-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
        response = public_client.get("/", HTTP_X_REQUEST_ID=incoming)
        assert response["X-Request-ID"] == incoming

    @pytest.mark.parametrize(
        "bad",
        [
            "short",  # under 8 characters
            "x" * 65,  # over 64
            "abc def ghi",  # space
            'abcdefgh"}, "level": "ERROR',  # JSON injection
            "abcdefgh\nINFO forged line",  # log injection
            "abcdefgh;rm",
            "",
        ],
    )
    def test_malformed_incoming_id_is_replaced(self, public_client: Client, bad: str) -> None:
        with captured_logs() as logs:
            response = public_client.get("/", HTTP_X_REQUEST_ID=bad)
        assert HEX32.fullmatch(response["X-Request-ID"])
        [line] = logs.lines("saas.request")
        assert line["request_id"] == response["X-Request-ID"]
        assert "forged" not in logs.text

    def test_health_probe_answers_with_an_id_and_logs_at_debug(self, public_client: Client) -> None:
        with captured_logs() as logs:
            response = public_client.get("/health/live")
        assert response.status_code == 200
        [line] = logs.lines("saas.request")
        assert (line["level"], line["path"], line["request_id"]) == (
            "DEBUG",
            "/health/live",
            response["X-Request-ID"],
        )


@pytest.mark.django_db
class TestRequestLogLine:
    def test_public_page(self, public_client: Client) -> None:
        with captured_logs() as logs:
            response = public_client.get("/pricing/?plan=pro&token=abc")
        [line] = logs.lines("saas.request")
        assert line["level"] == "INFO"
        assert line["message"].startswith("GET /pricing/ 200 ")
        assert (line["method"], line["path"], line["status"]) == ("GET", "/pricing/", 200)
        assert line["request_id"] == response["X-Request-ID"]
        assert line["company"] == "public"
        assert "user_id" not in line  # anonymous
        assert isinstance(line["duration_ms"], float)
        assert line["duration_ms"] >= 0
        assert "plan=pro" not in logs.text  # no query string

    def test_company_page_carries_company_and_user(self, alpha: Company) -> None:
        user = member_of(alpha)
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        with captured_logs() as logs:
            response = client.get("/")
        assert response.status_code == 200
        [line] = logs.lines("saas.request")
        assert (line["company"], line["user_id"], line["status"]) == ("alpha", user.pk, 200)

    def test_every_line_of_a_request_carries_its_context(self, alpha: Company) -> None:
        """A line written by code inside the request (the sign-in security event) has the
        request's id and company, like the request line itself."""
        user = make_user(email="ctx@example.test")
        Membership.objects.create(user=user, company=alpha, role=Membership.Role.MEMBER)
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        with captured_logs() as logs:
            response = client.post(
                "/accounts/login/",
                {"login": "ctx@example.test", "password": "wrong-password-for-sure"},
            )
        assert response.status_code == 400
        [event] = logs.lines("security")
        assert event["event"] == "login_failed"
        assert event["request_id"] == response["X-Request-ID"]
        assert event["company"] == "alpha"
        [line] = logs.lines("saas.request")
        assert (line["status"], line["level"]) == (400, "WARNING")

    def test_unknown_host_is_logged_without_a_company(self) -> None:
        with captured_logs() as logs:
            response = host_client("nope.localhost").get("/")
        assert response.status_code == 404
        [line] = logs.lines("saas.request")
        assert (line["status"], line["path"]) == (404, "/")
        assert "company" not in line

    def test_secret_path_segments_are_redacted(self, public_client: Client) -> None:
        with captured_logs() as logs:
            public_client.get("/invite/s3cretInviteToken123/")
        [line] = logs.lines("saas.request")
        assert line["path"] == "/invite/[REDACTED]/"
        assert "s3cretInviteToken123" not in logs.text

    def test_permission_denied_goes_to_the_security_log(self, alpha: Company) -> None:
        client = Client(HTTP_HOST="localhost", enforce_csrf_checks=True)
        with captured_logs() as logs:
            response = client.post("/accounts/login/", {"login": "a@b.test", "password": "x"})
        assert response.status_code == 403  # no CSRF token
        [event] = [line for line in logs.lines("security") if line["message"].startswith("perm")]
        assert (event["event"], event["path"], event["status"], event["level"]) == (
            "permission_denied",
            "/accounts/login/",
            403,
            "WARNING",
        )
        assert event["request_id"] == response["X-Request-ID"]
