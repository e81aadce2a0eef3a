"""A web request whose query ran past the statement timeout (settings/base.py) answers 503
with a page that says so, instead of a bare server error. PostgreSQL cancelled the query,
so its transaction was rolled back: nothing was half-written."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a cancelled statement


def is_statement_timeout(exception: BaseException) -> bool:
    if not isinstance(exception, OperationalError):
        return False
    cause = exception.__cause__
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED


class StatementTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_statement_timeout(exception):
            return None
        logger.error("statement timeout: %s %s", request.method, request.path)
        body = render_to_string("503_timeout.html", request=request)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        return response
