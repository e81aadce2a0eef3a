"""Each session belongs to the host it was opened on.

Session cookies are host-only, so a browser never sends the public host's cookie to a
company host; a cookie copied by hand (stolen) would still be accepted there, since every
host reads the same session table. At sign-in the host is written into the session data, and
a request whose host differs is served as an anonymous visitor with a fresh, empty session:
the stolen session is neither used nor changed (its owner stays signed in where they are).

The check reads the session the authentication middleware loads anyway: no extra query.
Moving to a company host stays the login handoff (handoff.py), which opens a new session
bound to that host. Sessions opened before this rule (no host stored) are bound to the first
host that uses them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_KEY
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from shared_apps.audit.security import client_ip

HOST_KEY = "_host"

security_log = logging.getLogger("security")


def _host(request: HttpRequest) -> str | None:
    try:
        return request.get_host().lower()
    except (KeyError, DisallowedHost):
        # Django's test client signs in (force_login) through a request without a host.
        return None


def remember_session_host(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver: bind the new session to the host it was opened on."""
    if request is None or not hasattr(request, "session"):
        return
    host = _host(request)
    if host is not None:
        request.session[HOST_KEY] = host


class SessionHostBindingMiddleware:
    """After AuthenticationMiddleware: a signed-in session used on another host is refused."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and AUTH_USER_KEY in session:
            host = _host(request)
            bound = session.get(HOST_KEY)
            if bound is None:
                session[HOST_KEY] = host
            elif bound != host:
                security_log.warning(
                    "session refused on another host",
                    extra={
                        "event": "session_wrong_host",
                        "bound_host": bound,
                        "host": host,
                        "ip": client_ip(request),
                        "user_id": session.get(AUTH_USER_KEY),
                    },
                )
                engine = import_module(settings.SESSION_ENGINE)
                request.session = engine.SessionStore()
                request.user = AnonymousUser()
        return self.get_response(request)
