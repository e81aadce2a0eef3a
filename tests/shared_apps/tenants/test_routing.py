from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.selectors import company_for_host
from tests.conftest import host_client
from tests.factories import make_user


@pytest.mark.django_db
class TestRouting:
    def test_public_host_serves_the_public_site(self, public_client: Client) -> None:
        response = public_client.get("/")
        assert response.status_code == 200
        assert response.wsgi_request.urlconf == "saas.urls_public"  # type: ignore[attr-defined]

    def test_company_host_serves_the_company_site(self, alpha_client: Client) -> None:
        response = alpha_client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        assert response.wsgi_request.tenant.subdomain == "alpha"  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        "host", ["nobody.localhost", "alpha.localhost.evil.test", "evil.test", "ALPHA-x.localhost"]
    )
    def test_unknown_hosts_get_404_without_company_data(self, host: str) -> None:
        response = host_client(host).get("/")
        assert response.status_code == 404
        body = response.content.decode()
        assert "Alpha" not in body
        assert "alpha" not in body
        assert "csrftoken" not in response.cookies

    def test_public_only_pages_are_not_served_on_company_hosts(
        self, alpha: Company, alpha_client: Client
    ) -> None:
        # anonymous visitors are sent to sign in first, whatever the path
        response = alpha_client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        # a member gets 404: the platform admin and sign-up live on the public host only
        alpha_client.force_login(alpha.memberships.get(role="owner").user)
        assert alpha_client.get("/admin/").status_code == 404
        assert alpha_client.get("/accounts/signup/").status_code != 200  # no sign-up form here

    def test_disabled_company_is_not_served(self, alpha: Company) -> None:
        alpha.status = Company.Status.DISABLED
        alpha.save()
        assert host_client("alpha.localhost").get("/accounts/login/").status_code == 404

    def test_lookup_is_cached_and_invalidated_on_change(self, alpha: Company) -> None:
        assert company_for_host("alpha.localhost") == alpha
        with CaptureQueriesContext(connection) as ctx:
            assert company_for_host("alpha.localhost") == alpha
        assert len(ctx.captured_queries) == 0
        Domain.objects.get(domain="alpha.localhost").delete()
        assert company_for_host("alpha.localhost") is None

    def test_member_sees_the_workspace_and_non_member_gets_404(
        self, alpha: Company, beta: Company
    ) -> None:
        owner = alpha.memberships.get(role="owner").user
        client = host_client("alpha.localhost")
        client.force_login(owner)
        response = client.get("/")
        assert response.status_code == 200
        assert "Alpha Ltd" in response.content.decode()

        stranger = make_user()
        other = host_client("alpha.localhost")
        other.force_login(stranger)
        assert other.get("/").status_code == 404

        # beta's owner is a member of beta only
        beta_owner = beta.memberships.get(role="owner").user
        crossing = host_client("alpha.localhost")
        crossing.force_login(beta_owner)
        assert crossing.get("/").status_code == 404

    def test_session_cookie_is_host_only(self, alpha: Company) -> None:
        owner = alpha.memberships.get(role="owner").user
        client = host_client("alpha.localhost")
        response = client.post(
            "/accounts/login/", {"login": owner.email, "password": "wrong-password-123"}
        )
        assert response.status_code == 400
        owner.set_password("correct-horse-battery-9")
        owner.save()
        EmailAddress.objects.update_or_create(
            user=owner, email=owner.email, defaults={"verified": True, "primary": True}
        )
        response = client.post(
            "/accounts/login/", {"login": owner.email, "password": "correct-horse-battery-9"}
        )
        assert response.status_code == 302
        cookie = response.cookies["sessionid"]
        assert cookie["domain"] == ""
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_platform_admin_login_without_next_redirects_home(public_client: Client) -> None:
    from tests.factories import make_user

    make_user(email="staff@platform.test", is_staff=True, is_superuser=True)
    response = public_client.post(
        "/admin/login/", {"username": "staff@platform.test", "password": "correct-horse-battery-9"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert public_client.get("/admin/").status_code == 200
