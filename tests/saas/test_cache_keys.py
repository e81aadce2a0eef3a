"""What lands in Redis: company data under keys that carry the company's schema; sign-in
limits and routing under global keys, so they hold across every host."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.tenant_apps.crm.factories import member_of

pytestmark = pytest.mark.django_db


PREFIX = settings.CACHES["default"]["KEY_PREFIX"]


def _keys() -> list[str]:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    return sorted(key.decode() for key in client.scan_iter("*"))


def test_company_numbers_are_under_the_company_prefix(alpha: Company, beta: Company) -> None:
    for company in (alpha, beta):
        client = host_client(f"{company.subdomain}.localhost")
        client.force_login(member_of(company, "member"))
        assert client.get("/").status_code == 200
    keys = _keys()
    dashboard = [key for key in keys if "dashboard:" in key]
    assert any(key.startswith(f"alpha:{PREFIX}:") for key in dashboard), keys
    assert any(key.startswith(f"beta:{PREFIX}:") for key in dashboard), keys
    assert all(key.split(":", 1)[0] in ("alpha", "beta") for key in dashboard)


def test_sign_in_limits_and_routing_are_global(alpha: Company) -> None:
    user = make_user(email="keys@example.test")
    response = host_client("alpha.localhost").post(
        "/accounts/login/", {"login": user.email, "password": "wrong-password-1"}
    )
    assert response.status_code == 400
    keys = _keys()
    assert f"{PREFIX}:1:routing:host:alpha.localhost" in keys
    limits = [key for key in keys if "login_failed" in key]
    assert limits, keys
    # no schema in front: the same counters are seen from every host
    assert all(key.startswith(f"{PREFIX}:1:") for key in limits)
    assert not any(key.startswith(("alpha:", "public:")) for key in limits)
