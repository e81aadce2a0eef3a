"""What happens to a request when the cache (Redis) is down.

Reads that only speed things up (tenant routing, dashboard numbers) fall back to the
database on their own. What must not fall back is anything that counts attempts: allauth's
sign-in, sign-up, password-reset and MFA rate limits and the per-account lockout keep their
counters in the cache, and the API rate limit too. Without the cache they cannot count, so
they fail closed: the request is refused with 503 and a Retry-After, never let through
unlimited. Nothing is written by a refused request (the counters run before any change).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from redis.exceptions import RedisError

security_log = logging.getLogger("security")

RETRY_AFTER_SECONDS = 30


class CacheUnavailable(Exception):
    """Raised by code that must not go on without the cache (a rate limit that cannot
    count). The middleware below answers it with 503."""


class CacheUnavailableMiddleware:
    """Turns a cache failure that reached a view into a 503 page instead of a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CacheUnavailable | RedisError):
            return None
        security_log.warning(
            "cache unavailable: request refused (rate limits fail closed)",
            extra={"event": "cache_unavailable", "error": type(exception).__name__},
        )
        body = render_to_string("503_cache.html", request=request)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
