"""Health endpoints, answered before host validation and tenant routing.

Load balancers probe by IP or by an arbitrary host, so these must answer on any host and
must not depend on a company being found.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from shared_apps.health.checks import run_checks
from shared_apps.tenants.db import connection

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == LIVE_PATH:
            return _no_store(JsonResponse({"status": "ok"}))
        if path == READY_PATH:
            connection.set_schema_to_public()
            checks = run_checks()
            failed = sorted(name for name, result in checks.items() if not result["ok"])
            body = {"status": "fail" if failed else "ok", "failed": failed, "checks": checks}
            return _no_store(JsonResponse(body, status=503 if failed else 200))
        return self.get_response(request)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response
