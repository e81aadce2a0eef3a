"""The new-device sign-in notice: sent when the (IP, browser) pair is new for the user."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress

from shared_apps.audit.models import SecurityEvent
from tests.conftest import host_client
from tests.factories import make_user
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db

OLD_BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
NEW_BROWSER = "Mozilla/5.0 (iPhone) Safari/17.0"


def sign_in(email: str, ip: str, browser: str, capture: Any) -> Any:
    client = host_client("localhost", REMOTE_ADDR=ip, HTTP_USER_AGENT=browser)
    with capture(execute=True):
        response = client.post(
            "/accounts/login/", {"login": email, "password": "correct-horse-battery-9"}
        )
    assert response.status_code == 302
    return response


@pytest.fixture
def person() -> Any:
    user = make_user(email="traveller@example.test", language="en")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def new_device(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in calls if c["template"] == "new_device"]


def test_first_sign_in_ever_sends_nothing(
    person: Any, email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    sign_in(person.email, "10.0.0.1", OLD_BROWSER, django_capture_on_commit_callbacks)
    assert new_device(email_worker) == []
    assert SecurityEvent.objects.filter(user=person, kind="login").count() == 1


def test_the_same_device_again_sends_nothing(
    person: Any, email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    sign_in(person.email, "10.0.0.1", OLD_BROWSER, django_capture_on_commit_callbacks)
    sign_in(person.email, "10.0.0.1", OLD_BROWSER, django_capture_on_commit_callbacks)
    assert new_device(email_worker) == []


@pytest.mark.parametrize(("ip", "browser"), [("10.0.0.2", OLD_BROWSER), ("10.0.0.1", NEW_BROWSER)])
def test_a_new_ip_or_browser_sends_one_notice(
    person: Any,
    email_worker: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
    ip: str,
    browser: str,
) -> None:
    sign_in(person.email, "10.0.0.1", OLD_BROWSER, django_capture_on_commit_callbacks)
    with smtp_server() as smtp:
        sign_in(person.email, ip, browser, django_capture_on_commit_callbacks)
    [call] = new_device(email_worker)
    assert call["language"] == "en"
    assert smtp.inbox.recipients == [[person.email]]
    message = smtp.inbox.messages[0]
    assert message["Subject"] == "New sign-in to your account"
    assert ip in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    # and the next sign-in from that device is known
    sign_in(person.email, ip, browser, django_capture_on_commit_callbacks)
    assert len(new_device(email_worker)) == 1
