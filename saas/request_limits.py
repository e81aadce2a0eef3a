"""Request bodies above the limit are refused with 413 before a byte of them is read.

nginx refuses them first in production (client_max_body_size, the same number); this covers
the app when it is reached another way (a load balancer without such a limit, gunicorn
straight). Django's own limit for form data without files (DATA_UPLOAD_MAX_MEMORY_SIZE)
raises while the body is parsed and would answer 400; a declared Content-Length is checked
here instead, so the client learns what was wrong. A body sent without a length (chunked)
is still bounded by Django's limits.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import translation


def body_limit(request: HttpRequest) -> int:
    """Multipart requests carry files (up to REQUEST_BODY_MAX_BYTES); any other body is
    form or JSON data (up to DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    if request.content_type == "multipart/form-data":
        return int(settings.REQUEST_BODY_MAX_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return HttpResponse("Invalid Content-Length.\n", status=400, content_type="text/plain")
        limit = body_limit(request)
        if length > limit:
            return self._too_large(request, limit)
        return self.get_response(request)

    @staticmethod
    def _too_large(request: HttpRequest, limit: int) -> HttpResponse:
        # Refused before LocaleMiddleware runs: the language comes from the request here.
        with translation.override(translation.get_language_from_request(request)):
            context = {"limit": filesizeformat(limit)}
            body = render_to_string("413.html", context, request=request)
        response = HttpResponse(body, status=413)
        response["Cache-Control"] = "no-store"
        # Answered before CommonMiddleware, which would set it: with a length the client
        # knows where the answer ends while its own body may still be on the way.
        response["Content-Length"] = str(len(response.content))
        # No `Connection: close`: PEP 3333 forbids hop-by-hop headers from an application.
        # The development server (wsgiref) answers one with a 500, and gunicorn drops it.
        # What happens to the unread body is the server's business: gunicorn's threaded
        # workers drain at most 64 KiB of it within the worker data timeout and otherwise
        # close the connection (its sync workers always close); the development server
        # reads it up to Content-Length as the client sends it; nginx refuses the body
        # before it reaches us (client_max_body_size).
        return response
