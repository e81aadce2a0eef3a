"""Account-level emails (password reset, address verification) link to the public host and
complete there, whatever host the request came in on; nothing of them reaches a company's
security log (the Host-header attack on password reset)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from shared_apps.accounts.models import User
from shared_apps.audit.models import SecurityEvent
from shared_apps.notifications.services import public_origin
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

NEW_PASSWORD = "a brand new passphrase 2026"
LINK = re.compile(r"https?://[^\s\"'<>]+")


def _person(email: str = "victim@example.test", verified: bool = True) -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    return user


def _links(message: mail.EmailMessage) -> list[str]:
    return LINK.findall(str(message.body))


def _owner_events_page(company: Company) -> str:
    client = host_client(f"{company.subdomain}.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(company.memberships.get(role="owner").user)
    response = client.get("/settings/security/events/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("send_emails_now")
class TestPasswordResetThroughAnotherCompanysHost:
    def test_link_is_on_the_public_origin_and_completes_there(self, beta: Company) -> None:
        # given a person who is not a member of beta, and an attacker who asks for their
        # password reset through beta's host
        victim = _person()
        attacker = host_client("beta.localhost", HTTP_ACCEPT_LANGUAGE="en")
        assert (
            attacker.post("/accounts/password/reset/", {"email": victim.email}).status_code == 302
        )

        # then the emailed link points at the public origin, not at beta
        (message,) = mail.outbox
        (link,) = [url for url in _links(message) if "/password/reset/key/" in url]
        assert link.startswith(f"{public_origin()}/accounts/password/reset/key/")
        assert "beta." not in message.body

        # when the victim follows it on the public host and sets a new password
        victim_browser = host_client(
            "localhost", HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="VictimBrowser/1.0"
        )
        form = victim_browser.get(urlsplit(link).path)
        assert form.status_code == 302  # allauth moves the key into the session
        done = victim_browser.post(
            form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        )

        # then the reset works there, is recorded as the person's own event, and beta's
        # owner sees nothing of it
        assert done.status_code == 302
        victim.refresh_from_db()
        assert victim.check_password(NEW_PASSWORD)
        event = SecurityEvent.objects.get(user=victim, kind="password_reset")
        assert event.company_id is None
        page = _owner_events_page(beta)
        assert victim.email not in page
        assert "VictimBrowser" not in page

    def test_every_link_of_the_unknown_address_email_is_on_the_public_origin(
        self, beta: Company
    ) -> None:
        # given a reset asked through beta's host for an address with no account
        host_client("beta.localhost").post(
            "/accounts/password/reset/", {"email": "nobody-here@example.test"}
        )

        # then the email allauth sends instead (it offers sign-up) links only to the public host
        (message,) = mail.outbox
        links = _links(message)
        assert links
        assert all(link.startswith(f"{public_origin()}/") for link in links), links

    def test_an_old_company_host_link_continues_on_the_public_host(self, beta: Company) -> None:
        # given a reset link someone opens on a company host
        response = host_client("beta.localhost").get("/accounts/password/reset/key/1-abc-def/")

        # then it is sent on to the same path on the public host
        assert response.status_code == 302
        # (the scheme and port of the request, on the public host)
        assert response["Location"] == "http://localhost/accounts/password/reset/key/1-abc-def/"

    def test_verification_link_from_a_company_host_is_on_the_public_origin(
        self, alpha: Company
    ) -> None:
        # given a person whose address is not verified, signing in on alpha's host
        person = _person("unverified@example.test", verified=False)
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.post(
            "/accounts/login/", {"login": person.email, "password": "correct-horse-battery-9"}
        )

        # then the verification email links to the public host, which confirms the address
        (message,) = mail.outbox
        (link,) = [url for url in _links(message) if "/confirm-email/" in url]
        assert link.startswith(f"{public_origin()}/accounts/confirm-email/")
        assert host_client("alpha.localhost").get(urlsplit(link).path).status_code == 302
        confirmed = host_client("localhost").post(urlsplit(link).path)
        assert confirmed.status_code == 302
        assert EmailAddress.objects.get(email=person.email).verified
