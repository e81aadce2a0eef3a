from __future__ import annotations

import pytest
from django.test import Client

from shared_apps.accounts.models import Membership
from shared_apps.audit.models import SecurityEvent
from shared_apps.audit.selectors import security_events_for_company
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries


def _owner_client(company: Company) -> Client:
    client = host_client(f"{company.subdomain}.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(company.memberships.get(role="owner").user)
    return client


def _events(company: Company, count: int, **fields: object) -> None:
    user = make_user()
    Membership.objects.create(user=user, company=company, role="member")
    SecurityEvent.objects.bulk_create(
        SecurityEvent(kind="login", user=user, company_id=company.pk, ip="192.0.2.7", **fields)
        for _ in range(count)
    )


@pytest.mark.django_db
class TestSecurityEventsPage:
    def test_owner_sees_only_their_company_events(self, alpha: Company, beta: Company) -> None:
        _events(alpha, 2, user_agent="AlphaBrowser/1.0")
        _events(beta, 3, user_agent="BetaBrowser/1.0")
        body = _owner_client(alpha).get("/settings/security/events/").content.decode()
        assert body.count("AlphaBrowser/1.0") == 2
        assert "BetaBrowser" not in body

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_other_roles_are_refused(self, alpha: Company, role: str) -> None:
        user = make_user()
        Membership.objects.create(user=user, company=alpha, role=role)
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        response = client.get("/settings/security/events/")
        assert response.status_code == 403
        assert "Only the company owner can see its security events." in response.content.decode()

    def test_browser_strings_are_escaped(self, alpha: Company) -> None:
        _events(alpha, 1, user_agent="<script>alert(1)</script>")
        body = _owner_client(alpha).get("/settings/security/events/").content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body

    def test_query_count_does_not_grow_with_events(self, alpha: Company) -> None:
        client = _owner_client(alpha)
        _events(alpha, 3)
        client.get("/settings/security/events/")  # warm caches (routing, content types)
        with page_queries() as few:
            assert client.get("/settings/security/events/").status_code == 200
        _events(alpha, 45)
        with page_queries() as many:
            assert client.get("/settings/security/events/").status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_pages_of_fifty(self, alpha: Company) -> None:
        client = _owner_client(alpha)
        before = security_events_for_company(company_id=alpha.pk).count()
        _events(alpha, 60, user_agent="Paged/1.0")
        first = client.get("/settings/security/events/").content.decode()
        assert first.count("<tr>") == 50 + 1  # rows plus the header row
        total = before + 60
        last = client.get("/settings/security/events/?page=999").content.decode()
        assert last.count("<tr>") == (total % 50 or 50) + 1


@pytest.mark.django_db
class TestOnlyMembersEventsInTheCompany:
    def test_strangers_lockouts_and_account_events_stay_out(
        self, alpha: Company, beta: Company
    ) -> None:
        # given, on alpha's host: a member's sign-in (shown), and things that are not
        # alpha's: a stranger's sign-in, a lockout of an arbitrary address, a member's
        # account-level events (password reset, personal two-factor change), and the same
        # member's sign-in on beta
        member = make_user(email="member@example.test")
        Membership.objects.create(user=member, company=alpha, role="member")
        Membership.objects.create(user=member, company=beta, role="member")
        stranger = make_user(email="stranger@example.test")
        rows = [
            ("login", member, "", alpha, "Shown/1.0", {}),
            ("login", stranger, "", alpha, "Stranger/1.0", {}),
            ("locked_out", None, "anyone@example.test", alpha, "Locked/1.0", {}),
            ("password_reset", member, "", alpha, "Reset/1.0", {}),
            ("sessions_ended", member, "", alpha, "Ended/1.0", {"count": 2}),
            ("mfa_changed", member, "", alpha, "Personal/1.0", {"action": "added"}),
            ("mfa_changed", member, "", alpha, "Rule/1.0", {"require_mfa": True}),
            ("login", member, "", beta, "OnBeta/1.0", {}),
        ]
        SecurityEvent.objects.bulk_create(
            SecurityEvent(
                kind=kind, user=user, email=email, company_id=company.pk, user_agent=ua, data=data
            )
            for kind, user, email, company, ua, data in rows
        )

        # when alpha's owner reads the company's security events
        body = _owner_client(alpha).get("/settings/security/events/").content.decode()

        # then only the member's own events in alpha show
        assert "Shown/1.0" in body
        assert "Rule/1.0" in body  # the company's own two-factor rule
        for hidden in ("Stranger", "Locked", "Reset", "Ended", "Personal", "OnBeta"):
            assert hidden not in body, hidden
        assert "stranger@example.test" not in body
        assert "anyone@example.test" not in body
