"""Where browsers report Content Security Policy violations: POST /csp-report/ on every host.

Answered by a middleware right after the health checks, before tenant routing, sessions,
CSRF and the member-only and MFA rules: the browser sends reports from any page, for anonymous
visitors and non-members too, and a report must cost no database query.

Accepted bodies (at most MAX_BODY_BYTES):
- `application/csp-report` (the `report-uri` format): `{"csp-report": {...}}`;
- `application/reports+json` (the Reporting API, `report-to`): a list of reports, of which
  those of type `csp-violation` are logged (at most MAX_REPORTS per body).
Each violation is one WARNING line on the `csp` logger, without query strings (they can hold
tokens), at most MAX_LOGGED_PER_MINUTE a minute per process. 204 when accepted; 400 for a
body that is not such a report, 405 for another method, 413 for a larger body, 415 for
another content type.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("csp")

MAX_BODY_BYTES = 16 * 1024
MAX_REPORTS = 20
MAX_FIELD_CHARS = 300
MAX_LOGGED_PER_MINUTE = 120
CSP_REPORT = "application/csp-report"
REPORTS_JSON = "application/reports+json"
ACCEPTED_TYPES = (CSP_REPORT, REPORTS_JSON, "application/json")

# Our field name: (report-uri format key, Reporting API key).
FIELDS = {
    "document": ("document-uri", "documentURL"),
    "directive": ("effective-directive", "effectiveDirective"),
    "blocked": ("blocked-uri", "blockedURL"),
    "source": ("source-file", "sourceFile"),
    "line": ("line-number", "lineNumber"),
    "column": ("column-number", "columnNumber"),
    "disposition": ("disposition", "disposition"),
    "sample": ("script-sample", "sample"),
}
URL_FIELDS = ("document", "blocked", "source")


class BadReport(ValueError):
    pass


def _error(status: int, code: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code}}, status=status)


def _without_query(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme:
        return value  # "inline", "eval", "data", ...
    return urlunsplit(parts._replace(query="", fragment=""))


def _violation(raw: Any, fmt: int) -> dict[str, str]:
    """The logged fields of one report body; `fmt` 0: report-uri keys, 1: Reporting API."""
    if not isinstance(raw, dict):
        raise BadReport("a report body is not an object")
    fields: dict[str, str] = {}
    for name, keys in FIELDS.items():
        value = raw.get(keys[fmt])
        if value is None and name == "directive" and fmt == 0:
            value = raw.get("violated-directive")  # browsers before CSP level 3
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value)
        if name in URL_FIELDS:
            text = _without_query(text)
        fields[name] = text[:MAX_FIELD_CHARS]
    if "directive" not in fields:
        raise BadReport("a report names no directive")
    return fields


def parse_reports(content_type: str, body: bytes) -> list[dict[str, str]]:
    """The violations in a report body; BadReport if it is not one."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadReport("not JSON") from exc
    if content_type == REPORTS_JSON or isinstance(data, list):
        if not isinstance(data, list) or not data:
            raise BadReport("not a list of reports")
        if len(data) > MAX_REPORTS:
            raise BadReport("too many reports")
        violations = []
        for report in data:
            if not isinstance(report, dict) or not isinstance(report.get("type"), str):
                raise BadReport("a report has no type")
            if report["type"] == "csp-violation":
                violations.append(_violation(report.get("body"), 1))
        return violations
    if not isinstance(data, dict) or "csp-report" not in data:
        raise BadReport('no "csp-report" object')
    return [_violation(data["csp-report"], 0)]


def csp_report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed")
        response["Allow"] = "POST"
        return response
    content_type = request.content_type or ""
    if content_type not in ACCEPTED_TYPES:
        return _error(415, "unsupported_media_type")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "report_invalid")
    if length > MAX_BODY_BYTES:
        return _error(413, "report_too_large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "report_too_large")
    try:
        violations = parse_reports(content_type, body)
    except BadReport:
        return _error(400, "report_invalid")
    for violation in violations:
        if _budget.take():
            logger.warning(
                "CSP violation: %s blocked %s on %s",
                violation["directive"],
                violation.get("blocked", "?"),
                violation.get("document", "?"),
                extra={"csp": violation},
            )
    return HttpResponse(status=204)


class LogBudget:
    """At most `per_minute` report lines a minute in this process; the rest are counted and
    summed up in one line when the next minute starts, so a flood of reports (a broken page
    seen by many, or someone posting on purpose) cannot flood the logs."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.minute = 0
        self.used = 0
        self.dropped = 0

    def take(self, now: float | None = None) -> bool:
        minute = int((time.time() if now is None else now) // 60)
        if minute != self.minute:
            if self.dropped:
                logger.warning(
                    "%d CSP violation reports not logged (over %d a minute)",
                    self.dropped,
                    self.per_minute,
                )
            self.minute, self.used, self.dropped = minute, 0, 0
        if self.used >= self.per_minute:
            self.dropped += 1
            return False
        self.used += 1
        return True


_budget = LogBudget(MAX_LOGGED_PER_MINUTE)


class CSPReportMiddleware:
    """Answers CSP_REPORT_PATH on every host before routing (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path: str = settings.CSP_REPORT_PATH

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.path:
            return csp_report(request)
        return self.get_response(request)
