"""POST /csp-report/: every host, both report formats, one WARNING line per violation on the
`csp` logger, and the bad inputs (method, type, size, body)."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from saas.csp_report import MAX_BODY_BYTES, MAX_REPORTS, LogBudget
from tests.conftest import host_client

URI_REPORT = {
    "csp-report": {
        "document-uri": "https://alpha.example.com/deals/?token=secret-in-query",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'none'; script-src 'self'",
        "disposition": "enforce",
        "blocked-uri": "https://evil.example.net/x.js?k=1",
        "line-number": 12,
        "source-file": "https://alpha.example.com/static/js/lists.js",
        "status-code": 200,
        "script-sample": "",
    }
}
API_REPORTS = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://example.com/welcome/",
        "user_agent": "Chrome",
        "body": {
            "documentURL": "https://example.com/welcome/",
            "effectiveDirective": "style-src-attr",
            "blockedURL": "inline",
            "disposition": "enforce",
            "lineNumber": 3,
            "sample": "color: red",
        },
    },
    {"type": "deprecation", "age": 1, "url": "https://example.com/", "body": {"id": "x"}},
]


def post(client: Client, body: object, content_type: str = "application/csp-report") -> object:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/csp-report/", data=data, content_type=content_type)


@pytest.mark.django_db
class TestAccepted:
    @pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "nobody.localhost"])
    def test_report_uri_format_on_every_host(
        self, host: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        # Company hosts (members only), the public host and an unknown one: answered before
        # routing, sign-in and CSRF.
        with caplog.at_level(logging.WARNING, logger="csp"):
            response = post(host_client(host), URI_REPORT)
        assert response.status_code == 204  # type: ignore[attr-defined]
        [record] = [r for r in caplog.records if r.name == "csp"]
        assert record.levelno == logging.WARNING
        assert record.csp == {  # type: ignore[attr-defined]
            "document": "https://alpha.example.com/deals/",
            "directive": "script-src-elem",
            "blocked": "https://evil.example.net/x.js",
            "source": "https://alpha.example.com/static/js/lists.js",
            "line": "12",
            "disposition": "enforce",
            "sample": "",
        }
        assert "secret-in-query" not in record.getMessage()

    def test_reporting_api_format_logs_only_csp_violations(
        self, public_client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="csp"):
            response = post(public_client, API_REPORTS, "application/reports+json")
        assert response.status_code == 204  # type: ignore[attr-defined]
        [record] = [r for r in caplog.records if r.name == "csp"]
        assert record.csp["directive"] == "style-src-attr"  # type: ignore[attr-defined]
        assert record.csp["blocked"] == "inline"  # type: ignore[attr-defined]

    def test_old_violated_directive_only(self, public_client: Client) -> None:
        body = {"csp-report": {"document-uri": "https://x/", "violated-directive": "img-src"}}
        assert post(public_client, body).status_code == 204  # type: ignore[attr-defined]

    def test_long_fields_are_cut(
        self, public_client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        body = {"csp-report": {"effective-directive": "img-src", "script-sample": "x" * 5000}}
        with caplog.at_level(logging.WARNING, logger="csp"):
            assert post(public_client, body).status_code == 204  # type: ignore[attr-defined]
        [record] = [r for r in caplog.records if r.name == "csp"]
        assert len(record.csp["sample"]) == 300  # type: ignore[attr-defined]


@pytest.mark.django_db
class TestRefused:
    def test_get_is_405(self, public_client: Client) -> None:
        response = public_client.get("/csp-report/")
        assert response.status_code == 405
        assert response["Allow"] == "POST"

    def test_other_content_type_is_415(self, public_client: Client) -> None:
        response = post(public_client, URI_REPORT, "text/plain")
        assert response.status_code == 415  # type: ignore[attr-defined]

    def test_large_body_is_413(self, public_client: Client) -> None:
        body = {"csp-report": {"effective-directive": "img-src", "x": "a" * MAX_BODY_BYTES}}
        response = post(public_client, body)
        assert response.status_code == 413  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "report_too_large"  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b"not json", "application/csp-report"),
            (b"\xff\xfe", "application/csp-report"),
            ({"something": "else"}, "application/csp-report"),
            ({"csp-report": "a string"}, "application/csp-report"),
            ({"csp-report": {"document-uri": "https://x/"}}, "application/csp-report"),
            ({"csp-report": {}}, "application/json"),
            ([], "application/reports+json"),
            ({"csp-report": {}}, "application/reports+json"),
            (["a string"], "application/reports+json"),
            ([{"type": "csp-violation", "body": "x"}], "application/reports+json"),
            ([API_REPORTS[0]] * (MAX_REPORTS + 1), "application/reports+json"),
        ],
    )
    def test_bad_body_is_400_and_logs_nothing(
        self,
        public_client: Client,
        caplog: pytest.LogCaptureFixture,
        body: object,
        content_type: str,
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="csp"):
            response = post(public_client, body, content_type)
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert response.json() == {"error": {"code": "report_invalid"}}  # type: ignore[attr-defined]
        assert [r for r in caplog.records if r.name == "csp"] == []


class TestLogBudget:
    def test_a_flood_is_logged_once_a_minute_in_one_line(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        budget = LogBudget(per_minute=2)
        minute = 1_000_000 * 60.0
        with caplog.at_level(logging.WARNING, logger="csp"):
            taken = [budget.take(now=minute + second) for second in range(5)]
            assert caplog.records == []
            assert budget.take(now=minute + 60)  # the next minute: a fresh budget
        assert taken == [True, True, False, False, False]
        [summary] = caplog.records
        assert summary.getMessage() == "3 CSP violation reports not logged (over 2 a minute)"
