"""The signed-in user of a record screen. Who may do what: `shared_apps.accounts.permissions`
(views use its `action_required` decorator)."""

from __future__ import annotations

from django.http import HttpRequest

from shared_apps.accounts.models import User


def actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user
