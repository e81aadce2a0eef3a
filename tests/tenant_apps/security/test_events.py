from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shared_apps.accounts.models import Membership
from shared_apps.audit.models import SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user


def _owner_client(company: Company) -> Client:
    client = host_client(f"{company.subdomain}.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(company.memberships.get(role="owner").user)
    return client


def _events(company: Company, count: int, **fields: object) -> None:
    user = make_user()
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
        with CaptureQueriesContext(connection) as few:
            assert client.get("/settings/security/events/").status_code == 200
        _events(alpha, 45)
        with CaptureQueriesContext(connection) as many:
            assert client.get("/settings/security/events/").status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_pages_of_fifty(self, alpha: Company) -> None:
        client = _owner_client(alpha)
        before = SecurityEvent.objects.filter(company_id=alpha.pk).count()
        _events(alpha, 60, user_agent="Paged/1.0")
        first = client.get("/settings/security/events/").content.decode()
        assert first.count("<tr>") == 50 + 1  # rows plus the header row
        total = before + 60
        last = client.get("/settings/security/events/?page=999").content.decode()
        assert last.count("<tr>") == (total % 50 or 50) + 1
