"""The shared fixtures of tests/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from shared_apps.accounts.models import User
from shared_apps.notifications.services import email_enqueue


@pytest.mark.django_db
@pytest.mark.usefixtures("send_emails_now")
def test_send_emails_now_sends_at_once_and_leaves_other_commit_hooks_waiting(
    owner: User, email_worker: list[dict[str, Any]]
) -> None:
    other: list[str] = []

    email_enqueue(
        template="welcome", to_user=owner, context={"name": "E"}, idempotency_key="send-now"
    )
    transaction.on_commit(lambda: other.append("ran"))

    assert len(email_worker) == 1
    assert len(mail.outbox) == 1
    assert other == []  # the test's transaction has not committed
