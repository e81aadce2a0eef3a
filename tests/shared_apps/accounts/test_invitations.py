"""The invitation link on the public host: /invite/<token>/."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone, translation

from shared_apps.accounts import entitlements, team
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import send_email
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def link(
    alpha: Company, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> tuple[Invitation, str]:
    """An invitation to alpha for invitee@example.test, and the token from its email."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: sent.append(kwargs))
    owner = User.objects.get(email="owner@alpha.test")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = team.invitation_create(
            company=alpha, email="invitee@example.test", role="admin", actor=owner
        )
    url = OutboundEmail.objects.get(pk=sent[0]["outbox_id"]).context["invite_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    return invitation, token


def person(email: str, *, verified: bool = True) -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def public(user: User | None = None) -> Any:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_anonymous_sees_the_company_and_sign_in_links(link: tuple[Invitation, str]) -> None:
    _inv, token = link
    response = public().get(f"/invite/{token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Join Alpha Ltd" in page
    assert "as Admin" in page
    assert f"/accounts/login/?next=%2Finvite%2F{token}%2F" in page
    assert f"/accounts/signup/?next=%2Finvite%2F{token}%2F" in page
    assert response["Referrer-Policy"] == "no-referrer"


def test_create_an_account_starts_with_the_invited_address(link: tuple[Invitation, str]) -> None:
    _inv, token = link
    client = public()
    page = client.get(f"/invite/{token}/").content.decode()
    found = re.search(r'href="(/accounts/signup/\?[^"]+)"', page)
    assert found is not None
    signup = client.get(html.unescape(found.group(1))).content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*value="invitee@example.test"', signup)


def test_the_emailed_link_is_this_page(link: tuple[Invitation, str]) -> None:
    invitation, token = link
    assert team.invitation_url(token) == f"https://localhost/invite/{token}/"
    assert invitation.token_hash == team.token_hash(token)


def test_signed_in_invitee_accepts_and_goes_to_the_company(
    link: tuple[Invitation, str], alpha: Company
) -> None:
    _invitation, token = link
    user = person("invitee@example.test")
    client = public(user)
    assert "Accept the invitation" in client.get(f"/invite/{token}/").content.decode()
    response = client.post(f"/invite/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/go/alpha/"
    assert Membership.objects.get(user=user, company=alpha).role == "admin"
    # the link is used up: a second visit is a clear 400 and changes nothing
    again = client.post(f"/invite/{token}/")
    assert again.status_code == 400
    assert "This invitation was already used." in again.content.decode()


def test_another_account_is_refused_with_a_message(
    link: tuple[Invitation, str], alpha: Company
) -> None:
    _inv, token = link
    other = person("someone.else@example.test")
    client = public(other)
    page = client.get(f"/invite/{token}/").content.decode()
    assert "You are signed in as someone.else@example.test" in page
    response = client.post(f"/invite/{token}/")
    assert response.status_code == 400
    assert "This invitation is for invitee@example.test." in response.content.decode()
    assert not Membership.objects.filter(user=other).exists()


def test_unverified_address_is_refused(link: tuple[Invitation, str]) -> None:
    _inv, token = link
    user = person("invitee@example.test", verified=False)
    response = public(user).post(f"/invite/{token}/")
    assert response.status_code == 400
    assert not Membership.objects.filter(user=user).exists()


def test_anonymous_post_goes_to_sign_in(link: tuple[Invitation, str]) -> None:
    _inv, token = link
    response = public().post(f"/invite/{token}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=%2Finvite%2F{token}%2F"


def test_unknown_token_is_404(alpha: Company) -> None:
    for method in ("get", "post"):
        response = getattr(public(person(f"{method}@example.test")), method)("/invite/not-a-token/")
        assert response.status_code == 404
        assert "This invitation link is not valid." in response.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "This invitation has expired."),
        ({"revoked_at": timezone.now()}, "This invitation was revoked."),
        ({"accepted_at": timezone.now()}, "This invitation was already used."),
    ],
)
def test_closed_invitations_are_400_and_change_nothing(
    link: tuple[Invitation, str], change: dict[str, Any], message: str
) -> None:
    invitation, token = link
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    user = person("invitee@example.test")
    for method in ("get", "post"):
        response = getattr(public(user), method)(f"/invite/{token}/")
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_full_plan_is_a_message(
    link: tuple[Invitation, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _inv, token = link

    def full(*, company: Company, **kwargs: object) -> None:
        raise entitlements.LimitReached("Your plan allows 3 members.", limit="seats")

    monkeypatch.setattr(team, "seats_check", full)
    user = person("invitee@example.test")
    response = public(user).post(f"/invite/{token}/")
    assert response.status_code == 400
    assert "Your plan allows 3 members." in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_login_with_next_comes_back_to_the_invitation(link: tuple[Invitation, str]) -> None:
    # an existing user signs in through the link's sign-in page and lands back here
    _inv, token = link
    person("invitee@example.test")
    client = public()
    response = client.post(
        f"/accounts/login/?next=/invite/{token}/",
        {"login": "invitee@example.test", "password": "correct-horse-battery-9"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/invite/{token}/"
    assert client.post(f"/invite/{token}/")["Location"] == "/go/alpha/"
