"""Request id and the request log line. First in MIDDLEWARE, so it times and logs every
request, health probes and unknown hosts included."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from saas.logs import context
from saas.logs.scrub import scrub_path

HEADER = "X-Request-ID"
# nginx sets X-Request-ID ($request_id, 32 hex characters) on every proxied request and
# replaces what the client sent (deploy/nginx), so a well-formed value is trusted. Anything
# else (too short or long, odd characters: log injection) is replaced by a fresh id.
_VALID_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
_PROBE_PATHS = ("/health/live", "/health/ready")

logger = logging.getLogger("saas.request")
security_logger = logging.getLogger("security")


def request_id_from(request: HttpRequest) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    return incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        tokens = context.bind_request(request, request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            _log_request(request, response, (time.perf_counter() - started) * 1000)
            return response
        finally:
            context.unbind(tokens)


def _log_request(request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
    status = response.status_code
    path = scrub_path(request.path)
    fields = {
        "method": request.method,
        "path": path,
        "status": status,
        "duration_ms": round(duration_ms, 1),
    }
    if status >= 500:
        level = logging.ERROR
    elif status >= 400:
        level = logging.WARNING
    elif request.path_info.rstrip("/") in _PROBE_PATHS:
        level = logging.DEBUG  # load balancer probes every few seconds
    else:
        level = logging.INFO
    logger.log(level, "%s %s %s %.1fms", request.method, path, status, duration_ms, extra=fields)
    if status == 403:
        # Refused by a permission check or CSRF: who tried what (sign-in events are logged
        # by shared_apps/audit/security.py from the auth signals).
        security_logger.warning(
            "permission_denied method=%s path=%s",
            request.method,
            path,
            extra={"event": "permission_denied", **fields},
        )
