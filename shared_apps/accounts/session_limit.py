"""An absolute session lifetime: SESSION_COOKIE_AGE counted from sign-in.

Django pushes a session's expiry forward whenever the session is saved, so an active session
would live for ever. We store the sign-in time in the session and end the session once it
is older than SESSION_COOKIE_AGE, whatever happened in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

SESSION_KEY = "_auth_at"


def remember_sign_in_time(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """`user_logged_in` receiver."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = int(time.time())


class AbsoluteSessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SESSION_KEY)
            if signed_in_at is None:
                # Sessions from before this rule: the clock starts now.
                request.session[SESSION_KEY] = int(time.time())
            elif time.time() - signed_in_at > settings.SESSION_COOKIE_AGE:
                logout(request)  # deletes the session server-side
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
