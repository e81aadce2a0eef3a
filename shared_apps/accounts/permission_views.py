"""The web side of `permissions`: one view decorator, one 403 page, and `can` in every
template. The decorator answers before any form is shown; the services check again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

from shared_apps.accounts.permissions import Action, Allowed, can, refusal

View = Callable[..., HttpResponseBase]


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """The 403 page, with `message` (already in the user's language)."""
    return render(request, "forbidden.html", {"message": message}, status=403)


def action_required(action: Action) -> Callable[[View], View]:
    """403 page unless the request's member (`request.membership`, set by the company
    middleware) may do `action`; a service's refusal (`PermissionDenied`) inside the view
    becomes the same page."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not can(getattr(request, "membership", None), action):
                return forbidden(request, refusal(action))
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc))

        return wrapper

    return decorator


def permissions_context(request: HttpRequest) -> dict[str, Allowed]:
    """`{% if can.record_delete %}`: what the signed-in member may do here. No query."""
    return {"can": Allowed(getattr(request, "membership", None))}
