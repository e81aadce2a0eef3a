"""Where links point: the one rule for the origin (scheme://host[:port]) of the public site
and of each company's host, for pages and for emails alike.

1. `PUBLIC_ORIGIN`, when set, wins everywhere: production sets it (https://crm.example.com);
   company hosts are its host with the subdomain in front.
2. With a request at hand (a page, a redirect): the scheme and port that request came in on,
   on `BASE_DOMAIN`, i.e. the origin actually served, whatever port a developer chose.
3. Without one (an email written by a worker, beat or a command): development's
   `SERVED_PORT` (the port `make run` serves, from `PORT`) over plain http; else https on
   `BASE_DOMAIN` without a port.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


def _request_port(request: HttpRequest) -> str:
    host = request.get_host()
    if host.endswith("]") or ":" not in host:
        return ""
    port = host.rsplit(":", 1)[1]
    return port if port.isdigit() else ""


def public_origin(request: HttpRequest | None = None) -> str:
    """scheme://BASE_DOMAIN[:port] of the public site (sign-up, SSO, invitations, /go/)."""
    configured = str(getattr(settings, "PUBLIC_ORIGIN", "") or "").rstrip("/")
    if configured:
        return configured
    if request is not None:
        port = _request_port(request)
        return f"{request.scheme}://{settings.BASE_DOMAIN}{':' + port if port else ''}"
    served_port = getattr(settings, "SERVED_PORT", None)
    if served_port:
        return f"http://{settings.BASE_DOMAIN}:{served_port}"
    return f"https://{settings.BASE_DOMAIN}"


def company_origin(subdomain: str, request: HttpRequest | None = None) -> str:
    """scheme://<subdomain>.BASE_DOMAIN[:port]: the public origin with the company in front."""
    parts = urlsplit(public_origin(request))
    return f"{parts.scheme}://{subdomain}.{parts.netloc}"


def public_url(path: str, request: HttpRequest | None = None) -> str:
    return public_origin(request) + path


def company_url(subdomain: str, path: str, request: HttpRequest | None = None) -> str:
    return company_origin(subdomain, request) + path
