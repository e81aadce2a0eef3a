from __future__ import annotations

import pytest
from django.conf import settings

from tests.conftest import host_client


def test_languages_and_time_zone() -> None:
    assert [code for code, _ in settings.LANGUAGES] == ["bg", "en"]
    assert settings.TIME_ZONE == "Europe/Sofia"
    assert settings.USE_TZ is True
    assert "django.middleware.locale.LocaleMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize(
    ("accept", "expected", "lang"),
    [
        ("bg", "CRM системата, която търговският ви екип наистина ще използва", "bg"),
        ("en-GB,en;q=0.9", "The CRM your sales team will actually use", "en"),
        ("", "CRM системата, която търговският ви екип наистина ще използва", "bg"),
    ],
)
def test_pages_follow_the_browser_language(accept: str, expected: str, lang: str) -> None:
    response = host_client("localhost").get("/", HTTP_ACCEPT_LANGUAGE=accept)
    body = response.content.decode()
    assert expected in body
    assert f'<html lang="{lang}">' in body


@pytest.mark.django_db
def test_language_switch_is_remembered() -> None:
    client = host_client("localhost")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "The CRM your sales team will actually use" in client.get("/").content.decode()
