"""Browser security headers every environment sends: the Content Security Policy (django-csp),
Referrer-Policy, Cross-Origin-Opener/Resource-Policy, X-Frame-Options, nosniff and the
Permissions-Policy. Development and the browser tests run under the same policy as production,
so a page that breaks it fails there first. Transport (HTTPS, HSTS, secure cookies) is in
security.py, production only.

The policy allows no inline script or style at all: scripts and stylesheets are static files,
htmx is told not to inject its indicator <style> (crm/base.html), colours are set through the
CSSOM. `<script type="application/json">` data blocks (allauth's, Django admin's, json_script)
are not executed and need no nonce. Violations are reported to /csp-report/ (saas/csp_report.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from saas.env import env
from saas.settings.auth import SOCIALACCOUNT_PROVIDERS

CSP_REPORT_PATH = "/csp-report/"

# Where the identity providers' sign-in pages live: an SSO button posts to our own host,
# which redirects to the provider, and Chromium checks form-action on every redirect of a
# form submission too.
_SSO_ORIGINS = {
    "google": "https://accounts.google.com",
    "microsoft": "https://login.microsoftonline.com",
    "github": "https://github.com",
}
# Stripe Checkout and the Customer Portal: reached by a form POST answered with a redirect.
STRIPE_FORM_ORIGINS = ["https://checkout.stripe.com", "https://billing.stripe.com"]


def sso_origins(providers: dict[str, Any]) -> list[str]:
    origins = [_SSO_ORIGINS[name] for name in providers if name in _SSO_ORIGINS]
    for app in providers.get("openid_connect", {}).get("APPS", []):
        parts = urlsplit(app.get("settings", {}).get("server_url", ""))
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def content_security_policy(*, base_domain: str, secure: bool) -> dict[str, Any]:
    """The policy for every host. `secure`: the site is served over HTTPS on the default
    port (production); otherwise any port of the development host names."""
    if secure:
        site_hosts = [f"https://{base_domain}", f"https://*.{base_domain}"]
    else:
        # Scheme-less sources take the page's scheme; runserver's port varies.
        site_hosts = [f"{base_domain}:*", f"*.{base_domain}:*"]
    return {
        "DIRECTIVES": {
            "default-src": [NONE],
            "script-src": [SELF],
            "style-src": [SELF],
            # data: for the TOTP QR code (allauth renders it as a data: URI).
            "img-src": [SELF, "data:"],
            "font-src": [SELF],
            "connect-src": [SELF],
            "manifest-src": [SELF],
            # Sign-in on a company host can hand over to the public host and back (the login
            # handoff); onboarding on the public host lands on the new company's host.
            "form-action": [
                SELF,
                *site_hosts,
                *sso_origins(SOCIALACCOUNT_PROVIDERS),
                *STRIPE_FORM_ORIGINS,
            ],
            "frame-ancestors": [NONE],
            "base-uri": [NONE],
            "object-src": [NONE],
            "report-uri": [CSP_REPORT_PATH],
        },
    }


CONTENT_SECURITY_POLICY = content_security_policy(
    base_domain=env.str("BASE_DOMAIN", default="localhost").lower().strip("."), secure=False
)

# Django's SecurityMiddleware and XFrameOptionsMiddleware.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# WhiteNoise would answer every static file with `Access-Control-Allow-Origin: *`; pages load
# them from their own host, nothing needs them cross-origin.
WHITENOISE_ALLOW_ALL_ORIGINS = False

# saas/headers.py. Every company host is its own origin: nothing is meant to be embedded
# from another one.
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
# Features the product does not use are off for every frame, the page included. WebAuthn
# (passkeys, security keys) stays on for our own pages. Only features Chromium knows:
# an unknown name is a console message on every page (`bluetooth` was one).
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "hid": [],
    "idle-detection": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "picture-in-picture": [],
    "publickey-credentials-create": ["self"],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "xr-spatial-tracking": [],
}
