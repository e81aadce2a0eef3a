"""The public home page leads to sign-up and sign-in."""

from __future__ import annotations

import pytest

from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_get_start_free_trial_and_sign_in() -> None:
    body = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert 'href="/accounts/signup/">Start free trial</a>' in body
    assert 'href="/accounts/login/">Sign in</a>' in body


def test_signed_in_people_get_their_companies() -> None:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user())
    body = client.get("/").content.decode()
    assert 'href="/welcome/">Your companies</a>' in body
    assert "Start free trial" not in body


def test_in_bulgarian() -> None:
    body = host_client("localhost", HTTP_ACCEPT_LANGUAGE="bg").get("/").content.decode()
    assert "Започнете безплатен пробен период" in body
