"""Invitation + SSO end to end over real HTTP: an owner of alpha invites an address; an
anonymous browser opens the link on the public host, signs in through the OpenID Connect
provider (oidc-provider-mock) as that address, comes back to the link, accepts and lands on
alpha's host signed in.

The harness (provider in a thread, the app under gunicorn against the test database, a
browser with one cookie jar per host) is the one of tests/shared_apps/onboarding/
test_sso_e2e.py. The invitation is created in another process so the server sees it; the
server commits the user, the membership and the accepted invitation, so another process
deletes them at the end.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount

from shared_apps.accounts.models import Invitation, Membership, User
from tests.processes import run_python
from tests.shared_apps.onboarding import test_sso_e2e as sso

# django_db: the run must set up the test database, and reads see the server's commits.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# The module-scoped provider and app server of the SSO end-to-end tests (own instances here).
oidc_url = sso.oidc_url
servers = sso.servers

Browser = sso.Browser
Servers = sso.Servers
PROVIDER_ID = sso.PROVIDER_ID

_INVITE = """
import os
import django
django.setup()
from shared_apps.accounts import team
from shared_apps.accounts.models import User
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import send_email
from shared_apps.tenants.models import Company
sent = []
send_email.delay = lambda **kwargs: sent.append(kwargs)
owner = User.objects.get(email="owner@alpha.test")
alpha = Company.objects.get(subdomain="alpha")
team.invitation_create(
    company=alpha, email=os.environ["E2E_EMAIL"], role="member", actor=owner
)
print(OutboundEmail.objects.get(pk=sent[0]["outbox_id"]).context["invite_url"])
"""

_CLEANUP = """
import json, os
import django
django.setup()
from shared_apps.accounts.models import Invitation, Membership, User
emails = json.loads(os.environ["E2E_EMAILS"])
Invitation.objects.filter(email__in=emails).delete()
Membership.objects.filter(user__email__in=emails).delete()
User.objects.filter(email__in=emails).delete()
"""


@dataclass
class Committed:
    """Addresses whose invitations, users and memberships the server may have committed."""

    emails: list[str] = field(default_factory=list)

    def email(self, prefix: str) -> str:
        email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"
        self.emails.append(email)
        return email


@pytest.fixture
def committed() -> Iterator[Committed]:
    committed = Committed()
    yield committed
    # Another process: a deletion in the test's own transaction would be rolled back.
    result = run_python(_CLEANUP, E2E_EMAILS=json.dumps(committed.emails))
    assert result.returncode == 0, result.stderr


def _invite(email: str) -> str:
    """A committed invitation to alpha as member for `email`; the token from its email."""
    result = run_python(_INVITE, E2E_EMAIL=email)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"https?://[^/]+/invite/[^/]+/", url), url
    return url.rstrip("/").rsplit("/", 1)[1]


def _href(page: requests.Response, pattern: str) -> str:
    """The (unescaped) href of the first link whose href matches `pattern`."""
    for raw in re.findall(r'href="([^"]*)"', page.text):
        href = html.unescape(raw)
        if re.search(pattern, href):
            return href
    raise AssertionError(f"no link matching {pattern!r} in:\n{page.text[:3000]}")


def _sso_back_to_invitation(browser: Browser, token: str, sub: str) -> requests.Response:
    """Anonymous on the invitation page → "Sign in" → the provider's button → approve at
    the provider → back on the public host. Returns the page the callback ends on."""
    servers: Servers = browser.servers
    here = f"/invite/{token}/"
    invite = browser.get(servers.public + here)
    assert invite.status_code == 200, invite.text[:3000]
    assert "Join Alpha Ltd" in invite.text
    assert "as Member" in invite.text

    # the "Sign in" link comes back here
    login_path = _href(invite, r"^/accounts/login/")
    assert parse_qs(urlsplit(login_path).query)["next"] == [here]
    login = browser.get(servers.public + login_path)
    assert login.status_code == 200, login.text[:3000]

    # the provider's button carries `next` through
    provider_path = _href(login, rf"/accounts/oidc/{PROVIDER_ID}/login/")
    provider_query = parse_qs(urlsplit(provider_path).query)
    assert provider_query.get("next") == [here], provider_path
    provider_url = (
        provider_path if provider_path.startswith("http") else servers.public + provider_path
    )
    page = browser.get(provider_url)
    assert page.status_code == 200, page.text[:3000]
    response = browser.post(provider_url, {"csrfmiddlewaretoken": browser.csrf(page)})
    assert response.status_code == 302, response.text[:3000]
    authorize = response.headers["Location"]
    assert authorize.startswith(servers.oidc_url)

    # approve at the provider as `sub`, then follow the callback home
    callback = sso._authorize(browser, authorize, sub=sub)
    return browser.follow(browser.get(callback))


class TestInvitationWithSso:
    def test_invitee_signs_in_with_sso_accepts_and_lands_on_the_company(
        self, servers: Servers, committed: Committed
    ) -> None:
        # given an open invitation to alpha as member (committed, so the server sees it)
        email = committed.email("invitee")
        token = _invite(email)
        here = f"/invite/{token}/"
        # and the invited address known to the provider, verified there
        sub = sso._provider_user(servers, email=email)
        browser = Browser(servers)

        # when the invitee signs in with SSO from the invitation page
        back = _sso_back_to_invitation(browser, token, sub)
        # then they are back on the invitation, signed in as the invited address
        assert back.status_code == 200, back.text[:3000]
        assert urlsplit(back.url).path == here, back.url
        assert "Accept the invitation" in back.text
        assert "You are signed in as" not in back.text  # no wrong-address warning
        user = User.objects.get(email=email)
        assert SocialAccount.objects.filter(user=user, provider=PROVIDER_ID, uid=sub).exists()

        # when they accept
        response = browser.post(servers.public + here, {"csrfmiddlewaretoken": browser.csrf(back)})
        # then they go to alpha through /go/, and arrive there signed in
        assert response.status_code == 302, response.text[:3000]
        assert response.headers["Location"] == "/go/alpha/"
        landed = browser.follow(response)
        assert landed.status_code == 200, landed.text[:3000]
        assert urlsplit(landed.url).path == "/"
        assert landed.request.headers["Host"] == f"alpha.localhost:{servers.app_port}"
        assert "Alpha Ltd" in landed.text
        assert "sessionid" in browser.cookies("alpha.localhost")
        home = browser.get(servers.company("alpha") + "/")
        assert home.status_code == 200, home.text[:3000]
        assert "Alpha Ltd" in home.text

        membership = Membership.objects.get(user=user, company__subdomain="alpha")
        assert membership.role == Membership.Role.MEMBER
        invitation = Invitation.objects.get(email=email)
        assert invitation.accepted_at is not None
        assert invitation.accepted_by == user

    def test_sso_identity_with_another_address_is_refused(
        self, servers: Servers, committed: Committed
    ) -> None:
        # given an open invitation for one address
        invited = committed.email("invitee")
        token = _invite(invited)
        here = f"/invite/{token}/"
        # and a person whose provider identity has another (verified) address
        other = committed.email("other")
        sub = sso._provider_user(servers, email=other)
        browser = Browser(servers)

        back = _sso_back_to_invitation(browser, token, sub)
        assert back.status_code == 200, back.text[:3000]
        assert urlsplit(back.url).path == here, back.url
        assert f"You are signed in as {other}" in back.text

        # when they try to accept anyway
        response = browser.post(servers.public + here, {"csrfmiddlewaretoken": browser.csrf(back)})
        # then they are told why, and nobody joins
        assert response.status_code == 400, response.text[:3000]
        assert (
            f"This invitation is for {invited}. Sign in with that address (and confirm it) "
            "to accept it." in html.unescape(response.text)
        )
        user = User.objects.get(email=other)
        assert not Membership.objects.filter(user=user).exists()
        assert not Membership.objects.filter(user__email=invited).exists()
        invitation = Invitation.objects.get(email=invited)
        assert invitation.accepted_at is None
        assert invitation.accepted_by is None
