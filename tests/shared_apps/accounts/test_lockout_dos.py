"""Nobody can keep someone else's account locked: failures count per (account, IP) and per
account; the pair locks first, the account everywhere only at a higher threshold, for a
short delay that grows; a locked-out person signs in with a one-time link by email."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone

from shared_apps.accounts.models import LoginLink, User
from shared_apps.audit.models import SecurityEvent
from shared_apps.notifications.services import public_origin
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

PASSWORD = "correct-horse-battery-9"
WRONG = "wrong-password-1"
LOGIN = "/accounts/login/"
LINK = re.compile(r"https?://\S+/accounts/login/link/[\w-]+/")


def _person(email: str = "dos@example.test") -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def _from(ip: str, host: str = "alpha.localhost") -> Client:
    return host_client(host, HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip)


def _login(client: Client, email: str, password: str) -> Any:
    return client.post(LOGIN, {"login": email, "password": password})


def _signed_in(client: Client, user: User) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def _fail_from_many_ips(email: str, count: int, net: str = "198.51.100") -> None:
    # 4 per address, below the per-pair limit of 5
    for n in range(count):
        assert _login(_from(f"{net}.{n // 4 + 1}"), email, WRONG).status_code == 400


def _lift_account_lock(email: str) -> None:
    """What the lock's expiry does (no waiting in tests)."""
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    caches["default"].delete(f"login:lock:{digest}")


@pytest.mark.django_db
class TestPairThenAccount:
    def test_an_attacker_locks_only_their_own_address(self, alpha: Company) -> None:
        # given an attacker who failed 5 times from one address
        user = _person()
        attacker = _from("203.0.113.66")
        for _ in range(5):
            assert _login(attacker, user.email, WRONG).status_code == 400

        # when the attacker tries again (even with the right password), and the owner
        # signs in from their own address
        again = _login(attacker, user.email, PASSWORD)
        owner = _from("192.0.2.10")
        response = _login(owner, user.email, PASSWORD)

        # then only the attacker's address is locked
        assert again.status_code == 400
        assert "Too many failed sign-in attempts" in again.content.decode()
        assert response.status_code == 302
        assert _signed_in(owner, user)
        locked = SecurityEvent.objects.get(user=user, kind="locked_out")
        assert locked.data["scope"] == "pair"
        assert locked.ip == "203.0.113.66"

    @override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_the_pair_is_keyed_on_the_trusted_hop(self, alpha: Company) -> None:
        # given 5 failures whose trusted (right-most) hop is 192.0.2.1, each with another
        # spoofed address on the left
        user = _person()
        client = _from("127.0.0.1")
        for n in range(5):
            client.post(
                LOGIN,
                {"login": user.email, "password": WRONG},
                HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 192.0.2.1",
            )

        # when 192.0.2.1 tries again behind yet another spoofed address, and 192.0.2.2 signs in
        again = client.post(
            LOGIN,
            {"login": user.email, "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="10.9.9.9, 192.0.2.1",
        )
        other = _from("127.0.0.1")
        response = other.post(
            LOGIN, {"login": user.email, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.2"
        )

        # then the spoofing does not escape the pair lock, and the other client is not locked
        assert again.status_code == 400
        assert response.status_code == 302

    def test_right_password_from_another_ip_works_below_the_account_threshold(
        self, alpha: Company
    ) -> None:
        # given 19 failures spread over 5 addresses (the account limit is 20)
        user = _person()
        _fail_from_many_ips(user.email, 19)

        # when the owner signs in from yet another address
        owner = _from("192.0.2.10")
        response = _login(owner, user.email, PASSWORD)

        # then it works, and gives its attempt back
        assert response.status_code == 302
        assert _signed_in(owner, user)

    def test_the_account_locks_everywhere_at_its_threshold_for_a_growing_delay(
        self, alpha: Company
    ) -> None:
        # given 20 failures spread over 5 addresses
        user = _person()
        _fail_from_many_ips(user.email, 20)

        # when anyone tries once more, on any host, even with the right password
        first = _login(_from("192.0.2.10", "localhost"), user.email, PASSWORD)

        # then the account is locked for a minute, with a way in by email
        assert first.status_code == 400
        body = first.content.decode()
        assert "Try again in 1 minute," in body
        assert f'<a href="{public_origin()}/accounts/login/link/">' in body
        assert "Email me a sign-in link" in body
        event = SecurityEvent.objects.filter(user=user, kind="locked_out").latest("id")
        assert event.data["scope"] == "account"

        # and when the lock has passed and 20 more failures come, the next lock is longer
        _lift_account_lock(user.email)
        _fail_from_many_ips(user.email, 20, net="198.51.101")
        second = _login(_from("192.0.2.11"), user.email, PASSWORD)
        assert second.status_code == 400
        assert "Try again in 2 minutes," in second.content.decode()

    @override_settings(LOGIN_ACCOUNT_LOCK_MAX_SECONDS=90)
    def test_the_growing_delay_is_capped(self, alpha: Company) -> None:
        user = _person()
        for net in ("198.51.100", "198.51.101", "198.51.102"):
            _fail_from_many_ips(user.email, 20, net=net)
            response = _login(_from("192.0.2.10"), user.email, PASSWORD)
            _lift_account_lock(user.email)
        assert "Try again in 2 minutes," in response.content.decode()  # 90 s, not 240 s

    def test_a_password_reset_clears_the_lock(self, alpha: Company) -> None:
        from shared_apps.accounts import lockout

        user = _person()
        _fail_from_many_ips(user.email, 20)
        assert _login(_from("192.0.2.10"), user.email, PASSWORD).status_code == 400
        lockout.lockout_clear(login=user.email)
        assert _login(_from("192.0.2.10"), user.email, PASSWORD).status_code == 302


@pytest.mark.django_db
@pytest.mark.usefixtures("send_emails_now")
class TestSignInLinkForALockedOutPerson:
    def _locked(self) -> User:
        user = _person()
        _fail_from_many_ips(user.email, 20)
        assert _login(_from("192.0.2.10"), user.email, PASSWORD).status_code == 400
        return user

    def _ask(self, email: str, ip: str = "192.0.2.10") -> Any:
        return _from(ip, "localhost").post("/accounts/login/link/", {"email": email})

    def _link(self) -> str:
        (message,) = mail.outbox
        match = LINK.search(str(message.body))
        assert match is not None
        return match.group(0)

    def test_the_link_signs_a_locked_person_in_once(self, alpha: Company) -> None:
        # given a locked account
        user = self._locked()

        # when the person asks for a link and opens it on the public host
        asked = self._ask(user.email)
        assert asked.status_code == 200
        assert "Check your email" in asked.content.decode()
        link = self._link()
        assert link.startswith(f"{public_origin()}/accounts/login/link/")
        browser = _from("192.0.2.10", "localhost")
        path = urlsplit(link).path
        page = browser.get(path)
        assert page.status_code == 200
        assert not _signed_in(browser, user)  # opening the link spends nothing
        response = browser.post(path)

        # then they are signed in on the public host, and the link is spent
        assert response.status_code == 302
        assert _signed_in(browser, user)
        assert LoginLink.objects.get(user=user).used_at is not None
        steps = list(
            SecurityEvent.objects.filter(user=user, kind="login_link")
            .order_by("id")
            .values_list("data__step", flat=True)
        )
        assert steps == ["sent", "redeemed"]
        assert SecurityEvent.objects.filter(user=user, kind="login").exists()

        # and a second use is refused
        reused = _from("192.0.2.10", "localhost").post(path)
        assert reused.status_code == 400
        assert "already been used" in reused.content.decode()

    def test_the_link_still_asks_for_the_second_factor(self, alpha: Company) -> None:
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        # given a locked account with two-factor authentication
        user = self._locked()
        TOTP.activate(user, generate_totp_secret())
        self._ask(user.email)
        path = urlsplit(self._link()).path

        # when the link is used
        browser = _from("192.0.2.10", "localhost")
        response = browser.post(path)

        # then the next step is the code, not a session
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/authenticate/"
        assert not _signed_in(browser, user)

    def test_a_company_host_sends_the_link_on_to_the_public_host(self, alpha: Company) -> None:
        response = _from("192.0.2.10").get("/accounts/login/link/abc/")
        assert response.status_code == 302
        assert response["Location"] == "http://localhost/accounts/login/link/abc/"

    def test_an_expired_link_is_refused_and_spent(self, alpha: Company) -> None:
        user = self._locked()
        self._ask(user.email)
        path = urlsplit(self._link()).path
        LoginLink.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
        browser = _from("192.0.2.10", "localhost")
        assert browser.get(path).status_code == 400
        response = browser.post(path)
        assert response.status_code == 400
        assert "expired" in response.content.decode()
        assert not _signed_in(browser, user)
        assert LoginLink.objects.get(user=user).used_at is not None

    @pytest.mark.parametrize("token", ["x", "not-a-token", "A" * 43, "A" * 500])
    def test_a_bad_link_is_refused(self, alpha: Company, token: str) -> None:
        browser = _from("192.0.2.10", "localhost")
        assert browser.get(f"/accounts/login/link/{token}/").status_code == 400
        response = browser.post(f"/accounts/login/link/{token}/")
        assert response.status_code == 400
        assert "not valid" in response.content.decode()

    def test_an_unknown_address_gets_the_same_answer_and_no_email(self) -> None:
        response = self._ask("nobody@example.test")
        assert response.status_code == 200
        assert "Check your email" in response.content.decode()
        assert mail.outbox == []

    def test_an_unverified_or_inactive_account_gets_no_link(self) -> None:
        unverified = make_user(email="unverified@example.test")
        EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False)
        inactive = _person("inactive@example.test")
        User.objects.filter(pk=inactive.pk).update(is_active=False)
        for email in (unverified.email, inactive.email):
            assert self._ask(email).status_code == 200
        assert mail.outbox == []

    def test_requests_are_limited_per_address(self) -> None:
        user = _person()
        for n in range(3):
            assert self._ask(user.email, ip=f"192.0.2.{n + 1}").status_code == 200
        refused = self._ask(user.email.upper(), ip="192.0.2.99")
        assert refused.status_code == 429
        assert len(mail.outbox) == 3

    def test_bad_input_is_a_400(self) -> None:
        response = _from("192.0.2.10", "localhost").post(
            "/accounts/login/link/", {"email": "not an address"}
        )
        assert response.status_code == 400
        assert mail.outbox == []


@pytest.mark.django_db
def test_asking_for_a_link_fails_closed_without_the_cache(cache_down: None) -> None:
    user = _person()
    response = _from("192.0.2.10", "localhost").post("/accounts/login/link/", {"email": user.email})
    assert response.status_code == 503
    assert not LoginLink.objects.exists()
