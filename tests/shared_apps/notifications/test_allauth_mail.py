"""allauth's emails go through the notifications task, in the recipient's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from allauth.mfa.adapter import get_adapter as mfa_adapter
from django.conf import settings
from django.test import RequestFactory, override_settings

from shared_apps.accounts import team
from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


@pytest.mark.parametrize(
    ("language", "subject"),
    [("en", "Password Reset Email"), ("bg", "Възстановяване на парола")],  # allauth's own bg
)
def test_password_reset_email_in_the_users_language(
    email_worker: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
    language: str,
    subject: str,
) -> None:
    user = make_user(email=f"reset-{language}@example.test", language=language)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")  # the page's language differs
    with smtp_server() as smtp, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert [c["template"] for c in email_worker] == ["account_message"]
    assert email_worker[0]["language"] == language
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Content-Language"] == language
    assert message["To"] == user.email
    # Django folds a non-ASCII subject onto a continuation line; the parser keeps its space.
    assert message["Subject"].strip() == subject
    assert "/accounts/password/reset/key/" in text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    # on the public origin (PUBLIC_ORIGIN, else https://BASE_DOMAIN), not the request's host
    assert '<a href="https://localhost/accounts/password/reset/key/' in html


def test_a_new_user_signs_up_confirms_and_joins(
    alpha: Company,
    email_worker: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given an invitation for an address nobody has an account for
    owner = User.objects.get(email="owner@alpha.test")
    with smtp_server() as smtp, django_capture_on_commit_callbacks(execute=True):
        team.invitation_create(
            company=alpha, email="brand.new@example.test", role="member", actor=owner
        )
    body = smtp.inbox.messages[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    match = re.search(r"https://localhost/invite/\S+/", body)
    assert match is not None
    invite_url = match.group(0)
    path = invite_url.removeprefix("https://localhost")
    # when they sign up from the invitation page
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    with smtp_server() as smtp, django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/accounts/signup/?next={path}",
            {
                "email": "brand.new@example.test",
                "full_name": "Brand New",
                "password1": "a-long-passphrase-2026",
                "password2": "a-long-passphrase-2026",
            },
        )
    assert response.status_code == 302
    # then the confirmation email arrives through our task
    assert len(smtp.inbox.messages) == 1
    confirm = re.search(
        r"https://localhost(/accounts/confirm-email/[^\s]+/)", text_of(smtp.inbox.messages[0])
    )
    assert confirm is not None
    # and confirming it signs them in and brings them back to the invitation
    response = client.post(confirm.group(1))
    assert response.status_code == 302
    assert response["Location"] == path
    response = client.post(path)
    assert response["Location"] == "/go/alpha/"
    user = User.objects.get(email="brand.new@example.test")
    assert Membership.objects.get(user=user, company=alpha).role == "member"


def test_mfa_notices_go_through_send_mail_when_notifications_are_on(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    user = make_user(email="mfa@example.test", language="en")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    request.user = user
    with allauth_context.request_context(request):
        # off: nothing is sent
        with (
            override_settings(ACCOUNT_EMAIL_NOTIFICATIONS=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            mfa_adapter().send_notification_mail("mfa/email/totp_activated", user)
        assert email_worker == []
        # on (this project's setting)
        assert settings.ACCOUNT_EMAIL_NOTIFICATIONS is True
        with (
            smtp_server() as smtp,
            django_capture_on_commit_callbacks(execute=True),
        ):
            mfa_adapter().send_notification_mail("mfa/email/totp_activated", user)
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["Content-Language"] == "en"
    assert "Authenticator App Activated" in message["Subject"]


def test_two_identical_requests_get_two_emails(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    # the guard is per message asked for, not per content: retries dedupe, requests do not
    user = make_user(email="twice-reset@example.test", language="en")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = host_client("localhost")
    with smtp_server() as smtp:
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                client.post("/accounts/password/reset/", {"email": user.email})
    assert len(smtp.inbox.messages) == 2
    assert len({c["idempotency_key"] for c in email_worker}) == 2
