"""A session's "last seen" is recorded at most every few minutes, never on every request.

allauth's own middleware (USERSESSIONS_TRACK_ACTIVITY) updates the session's row on every
signed-in request: five queries (savepoint, select, user, update, release) and a write on
every page view. Here the time of the last record is kept in the session data (which the
request loads anyway), and the row is updated only once it is older than
SESSION_ACTIVITY_INTERVAL seconds (5 minutes by default). In between, a page view writes
nothing. The sessions page ("Your sessions") shows "last seen" to within that interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.usersessions.internal import usersessionkit
from django.conf import settings
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "_seen_at"


def _interval() -> int:
    return int(getattr(settings, "SESSION_ACTIVITY_INTERVAL", 300))


def remember_sign_in_activity(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """allauth `user_logged_in` receiver: allauth has just written the session's row."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = int(time.time())


class SessionActivityMiddleware:
    """Replaces allauth's UserSessionsMiddleware: same record, at most once per interval."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            session is not None
            and session.session_key
            and user is not None
            and user.is_authenticated
        ):
            now = int(time.time())
            seen = session.get(SESSION_KEY)
            if not isinstance(seen, int) or not 0 <= now - seen < _interval():
                usersessionkit.track_activity(request, user=user, session=session)
                session[SESSION_KEY] = now
        return self.get_response(request)
