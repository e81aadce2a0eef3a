"""Response headers Django has no setting for: Cross-Origin-Resource-Policy and
Permissions-Policy (values in saas/settings/headers.py). Near the top of MIDDLEWARE, so
health answers, static files and error pages carry them too."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "publickey-credentials-get": ["self"]}` ->
    `camera=(), publickey-credentials-get=(self)` (the structured-header syntax)."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resource_policy: str = settings.CROSS_ORIGIN_RESOURCE_POLICY
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Cross-Origin-Resource-Policy", self.resource_policy)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        return response
