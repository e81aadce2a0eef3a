"""email_enqueue and welcome_email_send: language, recipient, after-commit enqueue, JSON only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from shared_apps.notifications import services
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import send_email
from shared_apps.tenants.models import Company
from tests.factories import make_user
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Calls to send_email.delay (instead of the broker)."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: calls.append(kwargs))
    return calls


def test_enqueues_after_commit_in_the_users_language(
    enqueued: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(email="english@example.test", language="en")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.email_enqueue(
            template="welcome", to_user=user, context={"name": "E"}, idempotency_key="k1"
        )
    assert enqueued == []  # nothing before the commit
    # but the message is already in the outbox, in the caller's transaction
    email = OutboundEmail.objects.get(idempotency_key="k1")
    assert (email.status, email.to, email.language) == ("pending", "english@example.test", "en")
    callbacks[0]()
    assert enqueued == [
        {
            "outbox_id": email.pk,
            "template": "welcome",
            "language": "en",
            "idempotency_key": "k1",
        }
    ]


def test_an_address_of_a_known_user_gets_their_language(
    enqueued: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    make_user(email="known@example.test", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        services.email_enqueue(
            template="welcome", to_email="Known@Example.test", context={}, idempotency_key="k2"
        )
        services.email_enqueue(
            template="welcome", to_email="stranger@example.test", context={}, idempotency_key="k3"
        )
    assert [c["language"] for c in enqueued] == ["en", "bg"]


def test_context_must_be_json(enqueued: list[dict[str, Any]]) -> None:
    with pytest.raises(TypeError):
        services.email_enqueue(
            template="welcome",
            to_email="a@example.test",
            context={"x": object()},
            idempotency_key="k",
        )
    with pytest.raises(ValueError, match="to_user or to_email"):
        services.email_enqueue(template="welcome", context={}, idempotency_key="k")


def test_welcome_email_end_to_end(
    alpha: Company, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    # given the welcome email is enqueued and the worker runs it (in-process)
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: send_email.apply(kwargs=kwargs))
    user = make_user(email="founder@example.test", full_name="Ivan Ivanov", language="en")
    with smtp_server() as smtp, django_capture_on_commit_callbacks(execute=True):
        services.welcome_email_send(user=user, company=alpha)
        services.welcome_email_send(user=user, company=alpha)  # a second call: same key
    # then one English message links to the hand-over URL of the company
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Subject"] == "Alpha Ltd is ready"
    assert message["Content-Language"] == "en"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Ivan," in body
    assert "https://localhost/go/alpha/" in body


@override_settings(PUBLIC_ORIGIN="https://crm.example.com/")
def test_links_use_the_public_origin_setting() -> None:
    assert services.public_origin() == "https://crm.example.com"
