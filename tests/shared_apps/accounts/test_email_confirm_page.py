"""The page an emailed confirmation link opens speaks to the person, in their language."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC

from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Is <strong>nina@example.test</strong> your email address?"),
        ("bg", "Това ли е Вашият имейл адрес: <strong>nina@example.test</strong>?"),
    ],
)
def test_confirmation_page_asks_a_plain_question(language: str, text: str) -> None:
    user = make_user(email="nina@example.test")
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    key = EmailConfirmationHMAC(address).key
    response = host_client("localhost", HTTP_ACCEPT_LANGUAGE=language).get(
        f"/accounts/confirm-email/{key}/"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert text in body
    assert "for user" not in body
    assert "email address for" not in body
