"""The send_email task against a real SMTP server (aiosmtpd on 127.0.0.1), run in-process.

`send` applies the task as a message enqueued before the outbox existed (no row id): the
task adopts it into the outbox by its idempotency key."""

from __future__ import annotations

from typing import Any

import pytest
from celery.signals import task_retry
from django.core.management import call_command
from django.utils import translation

from shared_apps.notifications import tasks
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import send_email
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db

INVITATION = {
    "inviter_name": "Ана Петрова",
    "company_name": "Alpha Ltd",
    "role": "admin",
    "invite_url": "https://localhost/invite/abc/",
    "expires_days": 7,
}


def send(language: str, key: str, to: str = "someone@example.test") -> Any:
    return send_email.apply(
        kwargs={
            "template": "invitation",
            "to": to,
            "context": INVITATION,
            "language": language,
            "idempotency_key": key,
        }
    )


@pytest.fixture
def render_languages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The active language each time the task renders a template."""
    seen: list[str] = []
    real = tasks.render_to_string

    def spy(*args: Any, **kwargs: Any) -> str:
        seen.append(translation.get_language())
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "render_to_string", spy)
    return seen


@pytest.mark.parametrize("language", ["en", "bg"])
def test_delivers_in_the_recipients_language(language: str, render_languages: list[str]) -> None:
    # given a real SMTP server, when the task runs for a recipient with `language`
    with smtp_server() as smtp:
        result = send(language, f"lang-{language}")
    # then one message arrives, rendered (subject, text, html) in that language
    assert result.successful()
    assert result.result is True
    assert render_languages == [language, language, language]
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert smtp.inbox.recipients == [["someone@example.test"]]
    assert message["Content-Language"] == language
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "https://localhost/invite/abc/" in text.get_content()
    assert 'href="https://localhost/invite/abc/"' in html.get_content()
    assert "Ана Петрова" in text.get_content()
    assert f'<html lang="{language}">' in html.get_content()


def test_english_text(render_languages: list[str]) -> None:
    with smtp_server() as smtp:
        send("en", "english-text")
    message = smtp.inbox.messages[0]
    assert message["Subject"] == "You are invited to join Alpha Ltd"
    assert "Role: Admin" in message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_applying_twice_sends_once() -> None:
    with smtp_server() as smtp:
        first = send("en", "twice")
        second = send("en", "twice")
    assert (first.result, second.result) == (True, False)
    assert len(smtp.inbox.messages) == 1
    email = OutboundEmail.objects.get(idempotency_key="twice")
    assert (email.status, email.attempts, email.context) == ("sent", 1, {})


def test_a_retry_delivers_after_the_server_comes_back() -> None:
    # given nothing listens on the SMTP port yet
    with smtp_server(start=False) as smtp:
        retries: list[str] = []

        def server_comes_back(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
            retries.append(type(getattr(reason, "exc", reason)).__name__)
            if smtp.controller is None:
                smtp.start()

        task_retry.connect(server_comes_back)
        try:
            # when the task runs: the first attempt is refused, io_task retries it
            result = send("bg", "comes-back")
        finally:
            task_retry.disconnect(server_comes_back)
        # then exactly one retry happened (connection refused) and it delivered once
        assert result.successful()
        assert result.result is True
        assert len(retries) == 1
        assert len(smtp.inbox.messages) == 1
        assert smtp.inbox.messages[0]["Content-Language"] == "bg"


def test_a_failed_attempt_releases_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a server that is down for every attempt
    monkeypatch.setattr(send_email, "max_retries", 0)
    with smtp_server(start=False):
        result = send("en", "down")
    assert result.failed()
    assert isinstance(result.result, ConnectionRefusedError)
    # then nothing is marked sent, so a later delivery is still possible
    email = OutboundEmail.objects.get(idempotency_key="down")
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.last_error.startswith("ConnectionRefusedError")
    with smtp_server() as smtp:
        assert send("en", "down").result is True
    assert len(smtp.inbox.messages) == 1


def test_sendtestemail_uses_the_smtp_settings() -> None:
    with smtp_server() as smtp:
        call_command("sendtestemail", "you@example.com")
    assert smtp.inbox.recipients == [["you@example.com"]]
