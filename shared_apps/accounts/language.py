"""The language switch: Django's `set_language`, and for a signed-in person their choice is
remembered on the account (User.language), which their emails follow."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.i18n import set_language

from shared_apps.accounts.models import User
from shared_apps.audit.services import platform_event_record


@transaction.atomic
def user_language_set(*, user: User, language: str, actor: User) -> User:
    """Make `language` the person's language (emails, invitations they send)."""
    if language not in {code for code, _label in settings.LANGUAGES}:
        raise ValueError(f"unsupported language {language!r}")
    if user.language == language:
        return user
    previous = user.language
    user.language = language
    user.save(update_fields=["language"])
    platform_event_record(
        actor=actor,
        action="user.language_changed",
        target=user,
        data={"from": previous, "to": language},
    )
    return user


def language_switch(request: HttpRequest) -> HttpResponse:
    """POST language=<code>: Django's set_language (cookie and redirect to `next`), and the
    account remembers it. A GET is only redirected, as by set_language."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = request.user
    supported = {code for code, _label in settings.LANGUAGES}
    if isinstance(user, User) and user.is_authenticated and language in supported:
        user_language_set(user=user, language=language, actor=user)
    return response
