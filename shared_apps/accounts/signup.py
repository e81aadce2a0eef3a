"""Sign-up: the person's name, and the language they signed up in.

allauth builds its sign-up forms (email and SSO) on `SignupForm` below
(ACCOUNT_SIGNUP_FORM_CLASS), so the email sign-up asks for a name. An SSO sign-up takes the
name from the provider's claims (`user_signed_up`, below). Both remember the interface
language the person used, which their emails and the default content of the companies
they create follow.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import User

logger = logging.getLogger(__name__)

NAME_MAX_LENGTH = 200  # User.full_name


def interface_language(request: HttpRequest | None) -> str | None:
    """The supported language the request is served in (LocaleMiddleware's choice: the
    language cookie, else Accept-Language), or None."""
    code = translation.get_language_from_request(request) if request is not None else None
    code = code or translation.get_language() or ""
    code = code.split("-")[0].lower()
    return code if code in {c for c, _label in settings.LANGUAGES} else None


class SignupForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=NAME_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def signup(self, request: HttpRequest, user: User) -> None:
        """allauth's hook, right after the user is saved (before any email is sent)."""
        user.full_name = self.cleaned_data["full_name"]
        user.language = interface_language(request) or user.language
        user.save(update_fields=["full_name", "language"])


def name_from_claims(sociallogin: Any) -> str:
    """The person's name as the identity provider states it ("" if it does not)."""
    try:
        account = sociallogin.account
        fields = account.get_provider().extract_common_fields(account.extra_data) or {}
    except Exception:  # a provider without common fields, or claims of an unexpected shape
        logger.warning("SSO sign-up: the provider's claims carry no usable name")
        return ""
    name = fields.get("name") or " ".join(
        part for part in (fields.get("first_name"), fields.get("last_name")) if part
    )
    return " ".join(str(name or "").split())[:NAME_MAX_LENGTH]


def on_user_signed_up(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """allauth's `user_signed_up` (email and SSO; before the verification email is sent):
    the language the person signed up in, and for SSO the name from the claims."""
    changed = []
    language = interface_language(request)
    if language and user.language != language:
        user.language = language
        changed.append("language")
    sociallogin = kwargs.get("sociallogin")
    if sociallogin is not None and not user.full_name:
        name = name_from_claims(sociallogin)
        if name:
            user.full_name = name
            changed.append("full_name")
    if changed:
        user.save(update_fields=changed)


def connect() -> None:
    from allauth.account.signals import user_signed_up

    user_signed_up.connect(on_user_signed_up, dispatch_uid="accounts.signup.language_and_name")
