"""Login handoff: one-use, one-minute tokens that carry a sign-in from the public host to a
company host, which opens its own host-only session."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from shared_apps.accounts.handoff import (
    HandoffExpired,
    HandoffInactive,
    HandoffInvalid,
    HandoffNotMember,
    HandoffUsed,
    HandoffWrongCompany,
    handoff_issue,
    handoff_redeem,
)
from shared_apps.accounts.models import LoginHandoff, Membership, User
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user


def _member(company: Company, role: str = Membership.Role.MEMBER) -> User:
    user = make_user()
    Membership.objects.create(user=user, company=company, role=role)
    return user


def _token_from(location: str) -> str:
    return parse_qs(urlsplit(location).query)["token"][0]


@pytest.mark.django_db
class TestHandoffIssue:
    def test_stores_only_the_hash_valid_for_a_minute(self, alpha: Company) -> None:
        # given a member of alpha
        user = _member(alpha)
        # when a handoff is issued
        before = timezone.now()
        token = handoff_issue(user=user, company=alpha, request=None)
        # then only sha256(token) is stored, bound to user and company, for 60 seconds
        row = LoginHandoff.objects.get(user=user)
        assert len(token) >= 43
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in row.token_hash
        assert row.company_id == alpha.pk
        assert row.used_at is None
        assert timedelta(seconds=59) <= row.expires_at - before <= timedelta(seconds=61)
        event = SecurityEvent.objects.filter(kind="handoff", user=user).get()
        assert event.company_id == alpha.pk
        assert event.data == {"step": "issued", "subdomain": "alpha"}

    def test_refused_for_a_non_member(self, alpha: Company) -> None:
        stranger = make_user()
        with pytest.raises(HandoffNotMember):
            handoff_issue(user=stranger, company=alpha, request=None)
        assert not LoginHandoff.objects.filter(user=stranger).exists()

    def test_refused_for_an_inactive_user(self, alpha: Company) -> None:
        user = _member(alpha)
        user.is_active = False
        user.save()
        with pytest.raises(HandoffInactive):
            handoff_issue(user=user, company=alpha, request=None)

    def test_tokens_are_unique(self, alpha: Company) -> None:
        user = _member(alpha)
        tokens = {handoff_issue(user=user, company=alpha, request=None) for _ in range(5)}
        assert len(tokens) == 5


@pytest.mark.django_db
class TestHandoffRedeem:
    def test_happy_path_returns_the_user_and_spends_the_token(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        assert handoff_redeem(token=token, company=alpha, request=None) == user
        assert LoginHandoff.objects.get(user=user).used_at is not None
        assert SecurityEvent.objects.filter(
            kind="handoff", user=user, data__step="redeemed"
        ).exists()

    def test_reuse_is_refused(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        handoff_redeem(token=token, company=alpha, request=None)
        with pytest.raises(HandoffUsed):
            handoff_redeem(token=token, company=alpha, request=None)

    def test_expired_is_refused(self, alpha: Company, monkeypatch: pytest.MonkeyPatch) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        # when 61 seconds have passed
        later = timezone.now() + timedelta(seconds=61)
        monkeypatch.setattr(timezone, "now", lambda: later)
        with pytest.raises(HandoffExpired):
            handoff_redeem(token=token, company=alpha, request=None)
        # and the attempt spent the token
        with pytest.raises(HandoffUsed):
            handoff_redeem(token=token, company=alpha, request=None)

    def test_still_valid_just_before_expiry(
        self, alpha: Company, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        later = timezone.now() + timedelta(seconds=58)
        monkeypatch.setattr(timezone, "now", lambda: later)
        assert handoff_redeem(token=token, company=alpha, request=None) == user

    def test_wrong_company_is_refused_and_spends_the_token(
        self, alpha: Company, beta: Company
    ) -> None:
        # given a person in both companies with a token for alpha
        user = _member(alpha)
        Membership.objects.create(user=user, company=beta, role=Membership.Role.MEMBER)
        token = handoff_issue(user=user, company=alpha, request=None)
        # when it is presented to beta
        with pytest.raises(HandoffWrongCompany):
            handoff_redeem(token=token, company=beta, request=None)
        # then it is refused, and cannot be replayed on alpha either
        with pytest.raises(HandoffUsed):
            handoff_redeem(token=token, company=alpha, request=None)
        assert SecurityEvent.objects.filter(
            kind="handoff", user=user, data__reason="wrong_company"
        ).exists()

    @pytest.mark.parametrize("token", ["", "x", "not-a-token", "A" * 43, "A" * 5000])
    def test_unknown_or_malformed_is_refused(self, alpha: Company, token: str) -> None:
        with pytest.raises(HandoffInvalid):
            handoff_redeem(token=token, company=alpha, request=None)

    def test_tampered_token_is_refused(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        with pytest.raises(HandoffInvalid):
            handoff_redeem(token=tampered, company=alpha, request=None)
        # the genuine token is untouched by the failed attempt
        assert handoff_redeem(token=token, company=alpha, request=None) == user

    def test_membership_removed_after_issue_is_refused(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        Membership.objects.filter(user=user, company=alpha).delete()
        with pytest.raises(HandoffNotMember):
            handoff_redeem(token=token, company=alpha, request=None)

    def test_user_deactivated_after_issue_is_refused(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        User.objects.filter(pk=user.pk).update(is_active=False)
        with pytest.raises(HandoffInactive):
            handoff_redeem(token=token, company=alpha, request=None)


@pytest.mark.django_db
class TestHandoffViews:
    def _public(self, user: User) -> Client:
        client = host_client("localhost")
        client.force_login(user)
        return client

    def test_go_then_handoff_signs_in_on_the_company_host(self, alpha: Company) -> None:
        # given a member signed in on the public host
        user = _member(alpha)
        public = self._public(user)
        # when they follow /go/alpha/
        response = public.get("/go/alpha/")
        # then they are sent to alpha's host with a token
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("http://alpha.localhost/handoff/?token=")
        # and the company host opens its own session and sends them home
        company = host_client("alpha.localhost")
        response = company.get("/handoff/", {"token": _token_from(location)})
        assert response.status_code == 302
        assert response["Location"] == "/"
        cookie = response.cookies["sessionid"]
        assert cookie["domain"] == ""  # host-only
        assert cookie["httponly"]
        assert cookie.value != public.cookies["sessionid"].value
        home = company.get("/")
        assert home.status_code == 200
        assert "Alpha Ltd" in home.content.decode()
        assert home.wsgi_request.user == user

    def test_go_keeps_the_scheme_and_port(self, alpha: Company) -> None:
        user = _member(alpha)
        client = host_client("localhost:8000", **{"wsgi.url_scheme": "https"})
        client.force_login(user)
        response = client.get("/go/alpha/", secure=True)
        assert response["Location"].startswith("https://alpha.localhost:8000/handoff/?token=")

    def test_go_needs_a_signed_in_user(self, alpha: Company) -> None:
        response = host_client("localhost").get("/go/alpha/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/go/alpha/")
        assert not LoginHandoff.objects.exists()

    def test_go_to_a_company_you_are_not_in_is_404(self, alpha: Company) -> None:
        stranger = make_user()
        public = self._public(stranger)
        assert public.get("/go/alpha/").status_code == 404
        assert public.get("/go/no-such-company/").status_code == 404
        assert not LoginHandoff.objects.filter(user=stranger).exists()

    def test_handoff_replaces_an_existing_session(self, alpha: Company) -> None:
        # given someone else already signed in on alpha's host in this browser
        other = _member(alpha)
        company = host_client("alpha.localhost")
        company.force_login(other)
        old_key = company.cookies["sessionid"].value
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        # when the handoff for `user` is redeemed
        response = company.get("/handoff/", {"token": token})
        # then a new session for `user` replaces the old one
        assert response.status_code == 302
        assert company.cookies["sessionid"].value != old_key
        assert company.get("/").wsgi_request.user == user

    @pytest.mark.parametrize("case", ["expired", "reused", "tampered", "unknown", "missing"])
    def test_bad_tokens_get_a_clear_page_and_no_session(
        self, alpha: Company, case: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        params: dict[str, str] = {"token": token}
        if case == "expired":
            LoginHandoff.objects.filter(user=user).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            )
        elif case == "reused":
            handoff_redeem(token=token, company=alpha, request=None)
        elif case == "tampered":
            params = {"token": token[:-2] + "xx"}
        elif case == "unknown":
            params = {"token": "nothing-like-this-was-ever-issued"}
        else:
            params = {}
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        response = client.get("/handoff/", params)
        assert response.status_code == 400
        body = response.content.decode()
        assert "We could not sign you in" in body
        expected = {
            "expired": "has expired",
            "reused": "already been used",
            "tampered": "not valid",
            "unknown": "not valid",
            "missing": "not valid",
        }[case]
        assert expected in body
        assert "sessionid" not in response.cookies
        # and nobody is signed in on the company host
        assert client.get("/").status_code == 302

    def test_wrong_company_token_gets_the_error_page(self, alpha: Company, beta: Company) -> None:
        user = _member(alpha)
        Membership.objects.create(user=user, company=beta, role=Membership.Role.MEMBER)
        token = handoff_issue(user=user, company=alpha, request=None)
        client = host_client("beta.localhost", HTTP_ACCEPT_LANGUAGE="en")
        response = client.get("/handoff/", {"token": token})
        assert response.status_code == 400
        assert "for another company" in response.content.decode()
        assert "sessionid" not in response.cookies

    def test_non_member_token_gets_the_error_page(self, alpha: Company) -> None:
        user = _member(alpha)
        token = handoff_issue(user=user, company=alpha, request=None)
        Membership.objects.filter(user=user).delete()
        response = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en").get(
            "/handoff/", {"token": token}
        )
        assert response.status_code == 400
        assert "not a member" in response.content.decode()
        assert "sessionid" not in response.cookies

    def test_error_page_is_in_the_users_language(self, alpha: Company) -> None:
        response = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="bg").get(
            "/handoff/", {"token": "nope"}
        )
        assert response.status_code == 400
        assert '<html lang="bg">' in response.content.decode()

    def test_handoff_is_not_served_on_the_public_host(self) -> None:
        assert host_client("localhost").get("/handoff/", {"token": "x"}).status_code == 404


@pytest.mark.django_db
class TestCompanySwitcher:
    def test_lists_the_users_companies_with_go_links(self, alpha: Company, beta: Company) -> None:
        from django.template.loader import render_to_string
        from django.test import RequestFactory

        user = _member(alpha)
        Membership.objects.create(user=user, company=beta, role=Membership.Role.VIEWER)
        request = RequestFactory(HTTP_HOST="alpha.localhost:8000").get("/")
        request.user = user
        request.tenant = alpha  # type: ignore[attr-defined]
        html = render_to_string("accounts/_company_switcher.html", request=request)
        assert 'href="http://localhost:8000/go/alpha/" aria-current="true"' in html
        assert 'href="http://localhost:8000/go/beta/"' in html
        assert "Alpha Ltd" in html
        assert "Бета ООД" in html

    def test_empty_for_anonymous(self) -> None:
        from django.contrib.auth.models import AnonymousUser
        from django.template.loader import render_to_string
        from django.test import RequestFactory

        request = RequestFactory(HTTP_HOST="localhost").get("/")
        request.user = AnonymousUser()
        assert render_to_string("accounts/_company_switcher.html", request=request).strip() == ""
