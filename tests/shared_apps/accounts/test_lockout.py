"""Brute force and abuse: failed-sign-in lockout (global across hosts), reset and sign-up
limits, the client IP behind proxies, and the security events they leave."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client, override_settings

from shared_apps.accounts.models import User
from shared_apps.audit.models import SecurityEvent
from tests.conftest import host_client
from tests.factories import make_user

PASSWORD = "correct-horse-battery-9"
LOGIN = "/accounts/login/"


def _person(email: str = "lock@example.test") -> User:
    user = make_user(email=email)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def _last_event_id() -> int:
    last = SecurityEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _ips_since(mark: int) -> set[str | None]:
    """IPs of the security events recorded after `mark` (other tests' rows may exist)."""
    return set(SecurityEvent.objects.filter(pk__gt=mark).values_list("ip", flat=True))


def _client(host: str, **extra: object) -> Client:
    return host_client(host, HTTP_ACCEPT_LANGUAGE="en", **extra)


def _login(client: Client, email: str, password: str) -> Any:
    return client.post(LOGIN, {"login": email, "password": password})


def _kinds(user: User) -> list[str]:
    return list(
        SecurityEvent.objects.filter(user=user).order_by("id").values_list("kind", flat=True)
    )


@pytest.mark.django_db
class TestLockout:
    def test_five_failures_on_two_hosts_lock_the_account_on_every_host(
        self, alpha: object, beta: object
    ) -> None:
        # given a person, and 3 wrong passwords on alpha plus 2 on beta
        user = _person()
        alpha_client, beta_client = _client("alpha.localhost"), _client("beta.localhost")
        for _ in range(3):
            assert _login(alpha_client, user.email, "wrong-password-1").status_code == 400
        for _ in range(2):
            assert _login(beta_client, user.email, "wrong-password-1").status_code == 400

        # when the right password is tried on the public host, and on alpha
        for client in (_client("localhost"), alpha_client):
            response = _login(client, user.email, PASSWORD)

            # then it is refused, saying when to retry
            assert response.status_code == 400
            assert "_auth_user_id" not in client.session
            body = response.content.decode()
            assert "Too many failed sign-in attempts. Try again in 5 minutes, at" in body
        kinds = _kinds(user)
        assert kinds.count("login_failed") == 5
        assert kinds.count("locked_out") == 2
        assert "login" not in kinds
        locked = SecurityEvent.objects.filter(user=user, kind="locked_out").first()
        assert locked is not None
        assert "retry_at" in locked.data
        assert locked.ip == "127.0.0.1"

    def test_four_failures_do_not_lock_and_the_right_password_signs_in(self, alpha: object) -> None:
        # given 4 wrong passwords (any case of the address)
        user = _person()
        client = _client("alpha.localhost")
        for _ in range(4):
            _login(client, user.email.upper(), "wrong-password-1")

        # when the right one follows
        response = _login(client, user.email, PASSWORD)

        # then the person is signed in and a "login" event is recorded
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)
        assert _kinds(user)[-1] == "login"

    def test_lockout_of_one_account_leaves_another_alone(self, alpha: object) -> None:
        # given one account locked out
        victim, other = _person(), _person("other@example.test")
        client = _client("alpha.localhost")
        for _ in range(5):
            _login(client, victim.email, "wrong-password-1")

        # when another account signs in from the same address
        response = _login(client, other.email, PASSWORD)

        # then it is not affected
        assert response.status_code == 302

    def test_lockout_message_is_translated(self, alpha: object) -> None:
        # given a locked account and a Bulgarian browser
        user = _person()
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="bg")
        for _ in range(5):
            _login(client, user.email, "wrong-password-1")

        # when the person tries again
        response = _login(client, user.email, PASSWORD)

        # then the message goes through gettext (English until the Bulgarian text exists)
        body = response.content.decode()
        assert "Try again in 5" in body or "5 минути" in body


@pytest.mark.django_db
class TestClientIp:
    @override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=0)
    def test_without_a_proxy_a_spoofed_forwarded_for_does_not_change_the_ip(self) -> None:
        # given 10 failed sign-ins (the per-IP limit), each claiming another X-Forwarded-For
        mark = _last_event_id()
        client = _client("localhost")
        for n in range(10):
            client.post(
                LOGIN,
                {"login": f"nobody{n}@example.test", "password": "wrong-password-1"},
                HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
            )
        user = _person()

        # when a real account signs in with yet another spoofed address
        response = client.post(
            LOGIN,
            {"login": user.email, "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )

        # then the IP limit still holds: the header was ignored
        assert response.status_code == 400
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert _ips_since(mark) == {"127.0.0.1"}

    @override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
    def test_behind_one_proxy_the_right_most_hop_is_the_client(self) -> None:
        # given 10 failed sign-ins whose right-most hop is 192.0.2.1 (left parts spoofed)
        mark = _last_event_id()
        client = _client("localhost")
        for n in range(10):
            client.post(
                LOGIN,
                {"login": f"nobody{n}@example.test", "password": "wrong-password-1"},
                HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 192.0.2.1",
            )
        user = _person()

        # when another client (right-most hop 192.0.2.2) signs in, and 192.0.2.1 tries again
        other = client.post(
            LOGIN,
            {"login": user.email, "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="192.0.2.1, 192.0.2.2",
        )
        again = _client("localhost").post(
            LOGIN,
            {"login": user.email, "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="10.1.1.1, 192.0.2.1",
        )

        # then only 192.0.2.1 is limited, and events carry the right-most hop
        assert other.status_code == 302
        assert again.status_code == 400
        assert "Too many failed sign-in attempts" in again.content.decode()
        assert _ips_since(mark) == {"192.0.2.1", "192.0.2.2"}


@pytest.mark.django_db
class TestResetAndSignupLimits:
    @pytest.mark.usefixtures("send_emails_now")
    def test_password_reset_is_limited_per_email(self) -> None:
        # given 3 reset requests for one address
        user = _person()
        client = _client("localhost")
        for _ in range(3):
            response = client.post("/accounts/password/reset/", {"email": user.email})
            assert response.status_code == 302

        # when a 4th follows, even from another IP via another host
        fourth = _client("alpha.localhost", REMOTE_ADDR="127.0.0.9").post(
            "/accounts/password/reset/", {"email": user.email.upper()}
        )

        # then it is refused and no 4th mail is sent
        assert fourth.status_code == 429
        assert len(mail.outbox) == 3

    def test_password_reset_is_limited_per_ip(self) -> None:
        # given 20 reset requests from one address, each for another email
        client = _client("localhost")
        for n in range(20):
            assert (
                client.post(
                    "/accounts/password/reset/", {"email": f"r{n}@example.test"}
                ).status_code
                == 302
            )

        # when a 21st comes from that address, and one from another address
        refused = client.post("/accounts/password/reset/", {"email": "r99@example.test"})
        elsewhere = _client("localhost", REMOTE_ADDR="127.0.0.2").post(
            "/accounts/password/reset/", {"email": "r99@example.test"}
        )

        # then only the first is refused
        assert refused.status_code == 429
        assert elsewhere.status_code == 302

    def test_signup_is_limited_per_ip(self) -> None:
        # given 20 sign-up attempts from one address
        client = _client("localhost")
        for n in range(20):
            response = client.post(
                "/accounts/signup/",
                {"email": f"s{n}@example.test", "password1": "x", "password2": "x"},
            )
            assert response.status_code == 400  # refused by the password policy

        # when a 21st comes, with a good password, and one from another address
        data = {
            "email": "late@example.test",
            "full_name": "Late Comer",
            "password1": "a sturdy passphrase 2026",
            "password2": "a sturdy passphrase 2026",
        }
        refused = client.post("/accounts/signup/", data)
        elsewhere = _client("localhost", REMOTE_ADDR="127.0.0.3").post("/accounts/signup/", data)

        # then the 21st is refused and the other address signs up
        assert refused.status_code == 429
        assert elsewhere.status_code == 302
        assert User.objects.filter(email="late@example.test").exists()
