"""Security headers on every response, including those answered before the middleware that
normally adds them (health probes, /csp-report/, the unknown-host 404, the sign-in redirect
of the member-only rule, static files).

First in MIDDLEWARE after the request id. Adds what Django's SecurityMiddleware adds on the way
out (HSTS over HTTPS, nosniff, Referrer-Policy, Cross-Origin-Opener-Policy) without its HTTPS
redirect (that stays in SecurityMiddleware, after tenant routing), X-Frame-Options (unless a
view is exempt), and the two headers Django has no setting for: Cross-Origin-Resource-Policy
and Permissions-Policy (values in saas/settings/headers.py). Headers already set win.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.security import SecurityMiddleware


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`{"camera": [], "publickey-credentials-get": ["self"]}` ->
    `camera=(), publickey-credentials-get=(self)` (the structured-header syntax)."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


class SecurityHeadersMiddleware(SecurityMiddleware):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.frame_options: str = settings.X_FRAME_OPTIONS
        self.resource_policy: str = settings.CROSS_ORIGIN_RESOURCE_POLICY
        self.permissions_policy = permissions_policy(settings.PERMISSIONS_POLICY)

    def process_request(self, request: HttpRequest) -> None:
        return None  # no redirect here: see the module docstring

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", self.frame_options)
        response.headers.setdefault("Cross-Origin-Resource-Policy", self.resource_policy)
        response.headers.setdefault("Permissions-Policy", self.permissions_policy)
        return response
