"""Account-level flows (sign-up verification, password reset, emailed sign-in links) live on
the public host, whatever host the request came in on.

A company host is chosen by whoever sends the request (its `Host` header), so a link built
from the request would let one company receive another person's reset or verification visit,
and that person's address, IP and browser in its security events. Every emailed link of these
flows therefore uses the public origin, and the company hosts send anyone who still opens such
a path there on to the public host.

Emailed links never take their origin from the request (whose Host header, port included, the
sender chooses): PUBLIC_ORIGIN, else https://BASE_DOMAIN (development: the served port).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from shared_apps.notifications.services import public_origin


@dataclass(frozen=True)
class PublicSite:
    """What allauth's email templates read as `current_site` (name and domain)."""

    domain: str
    name: str


def public_site() -> PublicSite:
    domain = urlsplit(public_origin()).netloc
    return PublicSite(domain=domain, name=domain)


def public_url(viewname: str, **kwargs: Any) -> str:
    """Absolute URL of a public-host view."""
    path = reverse(viewname, kwargs=kwargs or None, urlconf=settings.PUBLIC_SCHEMA_URLCONF)
    return f"{public_origin()}{path}"


def on_public_origin(url: str) -> str:
    """`url` with its scheme and host replaced by the public origin's (path and query kept)."""
    parts = urlsplit(url)
    origin = urlsplit(public_origin())
    return urlunsplit((origin.scheme, origin.netloc, parts.path, parts.query, parts.fragment))


def links_on_public_origin(context: dict[str, Any]) -> dict[str, Any]:
    """The email context with every absolute `*_url` link moved to the public origin."""
    moved = dict(context)
    for name, value in context.items():
        if name.endswith("_url") and isinstance(value, str) and urlsplit(value).netloc:
            moved[name] = on_public_origin(value)
    moved["current_site"] = public_site()
    return moved


def to_public_host(request: HttpRequest, **kwargs: Any) -> HttpResponseRedirect:
    """Company hosts: send an account-level link (reset, verification) to the public host
    (the scheme and port this request came in on, unless PUBLIC_ORIGIN is set)."""
    return HttpResponseRedirect(f"{public_origin(request)}{request.get_full_path()}")
