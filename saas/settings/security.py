"""Transport security for production (imported by production.py): HTTPS only, HSTS, host-only
secure cookies, and the Content Security Policy with HTTPS sources. The browser headers every
environment sends (CSP, Referrer-Policy, COOP/CORP, Permissions-Policy) are in headers.py.
tests/saas/test_production_headers.py checks all of it over HTTP against gunicorn.
"""

from __future__ import annotations

from saas.env import env
from saas.settings.headers import content_security_policy

# Plain HTTP is redirected to HTTPS, except the load balancer's health probes and Stripe's
# webhook deliveries (neither follows a redirect; behind the proxy both arrive as HTTPS
# anyway). Patterns match the path without its leading slash.
SECURE_SSL_REDIRECT = True
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^stripe/webhook/"]

# TLS ends at the reverse proxy, which tells us the original scheme in X-Forwarded-Proto.
# Only correct behind a proxy that always sets (or overwrites) that header: anywhere else a
# client could claim HTTPS. deploy/ configures nginx to overwrite it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One year, every subdomain (each company host), and eligible for the browsers' preload list
# (https://hstspreload.org/): once preloaded, the domain is HTTPS-only for good.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# `__Host-` cookies are Secure, Path=/ and have no Domain: the browser refuses to let a
# subdomain (another company's host) set or overwrite them.
SESSION_COOKIE_NAME = "__Host-sessionid"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_SECURE = True
# No script reads the CSRF cookie: htmx sends the token from the page (hx-headers), forms
# from their hidden field.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_NAME = "__Host-language"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = content_security_policy(
    base_domain=env.str("BASE_DOMAIN", default="localhost").lower().strip("."), secure=True
)
