"""Role checks of the record screens. The services check again; these give a clear 403
page before any form is shown."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shared_apps.accounts.models import Membership, User

View = Callable[..., HttpResponse]
EDITORS = frozenset({Membership.Role.MEMBER, Membership.Role.ADMIN, Membership.Role.OWNER})
MANAGERS = frozenset({Membership.Role.ADMIN, Membership.Role.OWNER})


def role(request: HttpRequest) -> str | None:
    membership = getattr(request, "membership", None)
    return getattr(membership, "role", None)


def actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "crm/records/forbidden.html", {"message": message}, status=403)


def _needs(roles: frozenset[str], message: Callable[[], str]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if role(request) not in roles:
                return forbidden(request, message())
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc))

        return wrapper

    return decorator


editors_only = _needs(EDITORS, lambda: _("Viewers cannot add or change records."))
managers_only = _needs(
    MANAGERS, lambda: _("Only the company's owners and admins can delete records.")
)


def viewers(view: View) -> View:
    """Any member (the middleware already refused everyone else)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return forbidden(request, str(exc))

    return wrapper
