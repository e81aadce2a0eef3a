"""The first Bulgarian a new person reads (the confirmation email and the messages around
it) says "имейл" like the rest of the product and is grammatical: allauth's own catalog
writes "e-mail" and "е дал Вашият имейл адрес"."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

SIGN_UP_STRINGS = [
    "You're receiving this email because user %(user_display)s has given your email address"
    " to register an account on %(site_domain)s.",
    "Please Confirm Your Email Address",
    "Confirmation email sent to %(email)s.",
    "You have confirmed %(email)s.",
    "Verify Your Email Address",
]


@pytest.mark.parametrize("msgid", SIGN_UP_STRINGS)
def test_sign_up_bulgarian_says_имейл(msgid: str) -> None:
    with translation.override("bg"):
        text = gettext(msgid)
    assert text != msgid
    assert "e-mail" not in text
    assert "Вашият" not in text
    assert "имейл" in text
