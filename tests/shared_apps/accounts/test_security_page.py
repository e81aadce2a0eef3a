"""The person's own security page (/accounts/security/ on every host): their events from
every host and account-level ones, nobody else's, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries


def _client(host: str, user: User) -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _event(user: User, company: Company | None, agent: str, kind: str = "login") -> None:
    SecurityEvent.objects.create(
        kind=kind, user=user, company_id=company.pk if company else None, user_agent=agent
    )


@pytest.mark.django_db
class TestAccountSecurityPage:
    def test_shows_own_events_from_every_host_and_nobody_elses(
        self, alpha: Company, beta: Company
    ) -> None:
        # given a person's events on alpha, on beta and account-level, and someone else's
        person = make_user()
        Membership.objects.create(user=person, company=alpha, role="member")
        _event(person, alpha, "OnAlpha/1.0")
        _event(person, beta, "OnBeta/1.0")
        _event(person, None, "Account/1.0", kind="password_reset")
        _event(make_user(), alpha, "SomeoneElse/1.0")

        # when they open their security page on the public host and on alpha
        for host in ("localhost", "alpha.localhost"):
            response = _client(host, person).get("/accounts/security/")

            # then it lists their own events, with where they happened
            assert response.status_code == 200
            body = response.content.decode()
            for agent in ("OnAlpha/1.0", "OnBeta/1.0", "Account/1.0"):
                assert agent in body
            assert "SomeoneElse" not in body
            assert "Alpha Ltd" in body
            assert "Бета ООД" in body
            assert "Your account" in body

    def test_query_count_does_not_grow_with_events(self, alpha: Company, beta: Company) -> None:
        person = make_user()
        client = _client("localhost", person)
        _event(person, alpha, "a")
        client.get("/accounts/security/")  # warm caches
        with page_queries() as few:
            assert client.get("/accounts/security/").status_code == 200
        for n in range(30):
            _event(person, alpha if n % 2 else beta, f"x{n}")
        with page_queries() as many:
            assert client.get("/accounts/security/").status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_anonymous_is_sent_to_sign_in(self) -> None:
        response = host_client("localhost").get("/accounts/security/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_platform_admin_sees_account_level_events() -> None:
    # given an account-level event (no company) and a platform admin
    person = make_user(email="someone@example.test")
    _event(person, None, "AccountOnly/1.0", kind="password_reset")
    staff = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(make_user(is_staff=True, is_superuser=True))

    # when they open the security events in the admin
    response = staff.get("/admin/audit/securityevent/")

    # then the event is listed, read-only
    assert response.status_code == 200
    assert "AccountOnly/1.0" in response.content.decode()
    assert staff.get("/admin/audit/securityevent/add/").status_code == 403
