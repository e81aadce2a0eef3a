"""Onboarding on the public host: create a company, the availability check, SSO buttons."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import set_urlconf

from shared_apps.accounts.models import LoginHandoff, Membership, User
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user


def _signed_in(user: User, language: str = "en") -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _sub() -> str:
    return f"ob-{uuid.uuid4().hex[:10]}"


@pytest.mark.django_db
class TestWelcome:
    def test_new_user_sees_the_create_form(self) -> None:
        response = _signed_in(make_user()).get("/welcome/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Create your company" in body
        assert 'name="subdomain"' in body
        assert 'data-check-url="/welcome/check/"' in body
        assert "/static/onboarding/subdomain.js" in body
        assert "<script>" not in body  # no inline script (CSP without 'unsafe-inline')

    def test_needs_a_signed_in_user(self) -> None:
        response = host_client("localhost").get("/welcome/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/welcome/")

    def test_creating_a_company_makes_the_user_owner_and_hands_off(self) -> None:
        # given a signed-in person with no company
        user = make_user()
        client = _signed_in(user)
        subdomain = _sub()
        # when they submit a name and a free subdomain
        response = client.post("/welcome/", {"name": "Acme OOD", "subdomain": subdomain})
        # then the company exists with them as owner
        company = Company.objects.get(subdomain=subdomain)
        assert company.name == "Acme OOD"
        assert Membership.objects.get(company=company).user == user
        assert Membership.objects.get(company=company).role == Membership.Role.OWNER
        # and they are sent to its host through a handoff
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(f"http://{subdomain}.localhost/handoff/?token=")
        token = parse_qs(urlsplit(location).query)["token"][0]
        assert LoginHandoff.objects.filter(user=user, company=company).count() == 1
        company_client = host_client(f"{subdomain}.localhost")
        response = company_client.get("/handoff/", {"token": token})
        assert response.status_code == 302
        home = company_client.get("/")
        assert home.status_code == 200
        assert "Acme OOD" in home.content.decode()

    def test_subdomain_is_lowercased_and_trimmed(self) -> None:
        user = make_user()
        subdomain = _sub()
        response = _signed_in(user).post(
            "/welcome/", {"name": "Acme", "subdomain": f"  {subdomain.upper()} "}
        )
        assert response.status_code == 302
        assert Company.objects.filter(subdomain=subdomain).exists()

    @pytest.mark.parametrize(
        ("subdomain", "message"),
        [
            ("alpha", "already taken"),
            ("admin", "is reserved"),
            ("pg-x1", "is reserved"),
            ("a", "at least 3 characters"),
            ("bad_name", "only Latin letters, digits and hyphens"),
            ("-abc", "cannot start or end with a hyphen"),
        ],
    )
    def test_bad_subdomain_is_400_with_a_field_error_and_nothing_created(
        self, alpha: Company, subdomain: str, message: str
    ) -> None:
        user = make_user()
        companies = Company.objects.count()
        response = _signed_in(user).post("/welcome/", {"name": "Acme", "subdomain": subdomain})
        assert response.status_code == 400
        assert message in response.content.decode()
        assert response.context["form"].errors["subdomain"]
        assert Company.objects.count() == companies
        assert not Membership.objects.filter(user=user).exists()
        assert not LoginHandoff.objects.filter(user=user).exists()

    def test_empty_subdomain_and_no_name_is_400(self) -> None:
        response = _signed_in(make_user()).post("/welcome/", {"name": " ", "subdomain": ""})
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()

    def test_without_javascript_an_empty_subdomain_is_suggested_from_the_name(self) -> None:
        # given a person who left the subdomain empty (no script ran)
        user = make_user()
        client = _signed_in(user)
        companies = Company.objects.count()
        # when they submit the name only
        response = client.post("/welcome/", {"name": "Бета ООД", "subdomain": ""})
        # then the form comes back with a suggestion to confirm, and nothing is created yet
        assert response.status_code == 200
        body = response.content.decode()
        suggested = response.context["form"].suggested
        assert suggested.startswith("beta")  # "beta" itself is the test company's
        assert suggested != "beta"
        assert f'value="{suggested}"' in body
        assert f"We suggest the address “{suggested}”" in body
        assert Company.objects.count() == companies
        # and submitting it creates the company there
        response = client.post("/welcome/", {"name": "Бета ООД", "subdomain": suggested})
        assert response.status_code == 302
        Company.objects.get(subdomain=suggested).delete()

    def test_missing_name_is_400(self) -> None:
        subdomain = _sub()
        response = _signed_in(make_user()).post("/welcome/", {"name": "  ", "subdomain": subdomain})
        assert response.status_code == 400
        assert response.context["form"].errors["name"]
        assert not Company.objects.filter(subdomain=subdomain).exists()

    def test_errors_are_in_the_users_language(self) -> None:
        response = _signed_in(make_user(), "bg").post(
            "/welcome/", {"name": "Acme", "subdomain": "admin"}
        )
        assert response.status_code == 400
        assert "Поддомейнът „admin“ е запазен" in response.content.decode()

    def test_member_sees_their_companies_with_handoff_links(
        self, alpha: Company, beta: Company
    ) -> None:
        user = make_user()
        Membership.objects.create(user=user, company=alpha, role=Membership.Role.ADMIN)
        Membership.objects.create(user=user, company=beta, role=Membership.Role.VIEWER)
        response = _signed_in(user).get("/welcome/")
        body = response.content.decode()
        assert response.status_code == 200
        assert 'href="/go/alpha/"' in body
        assert 'href="/go/beta/"' in body
        assert "Create another company" in body
        # and following a link hands off to that company
        assert (
            _signed_in(user)
            .get("/go/beta/")["Location"]
            .startswith("http://beta.localhost/handoff/?token=")
        )

    def test_the_company_opens_in_the_persons_language(self, beta: Company) -> None:
        # signed up in Bulgarian, browser in English: the company host is in Bulgarian too
        user = make_user(language="bg")
        Membership.objects.create(user=user, company=beta, role=Membership.Role.MEMBER)
        location = _signed_in(user, "en").get("/go/beta/")["Location"]
        token = parse_qs(urlsplit(location).query)["token"][0]
        company = host_client("beta.localhost", HTTP_ACCEPT_LANGUAGE="en")
        assert company.get("/handoff/", {"token": token}).status_code == 302
        assert company.cookies[settings.LANGUAGE_COOKIE_NAME].value == "bg"
        assert '<html lang="bg">' in company.get("/").content.decode()

    def test_only_on_the_public_host(self, alpha: Company) -> None:
        owner = alpha.memberships.get(role="owner").user
        client = host_client("alpha.localhost")
        client.force_login(owner)
        assert client.get("/welcome/").status_code == 404


@pytest.mark.django_db
class TestAvailability:
    def _check(self, subdomain: str, language: str = "en") -> dict[str, object]:
        response = _signed_in(make_user(), language).get(
            "/welcome/check/", {"subdomain": subdomain}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        data: dict[str, object] = response.json()
        assert set(data) == {"available", "message"}
        return data

    def test_free_subdomain(self) -> None:
        subdomain = _sub()
        assert self._check(subdomain) == {
            "available": True,
            "message": f"“{subdomain}” is available.",
        }

    def test_taken_subdomain(self, alpha: Company) -> None:
        assert self._check("alpha") == {
            "available": False,
            "message": "The subdomain “alpha” is already taken.",
        }

    @pytest.mark.parametrize(
        ("subdomain", "message"),
        [
            ("www", "is reserved"),
            ("ab", "at least 3"),
            ("a.b.c", "only Latin letters"),
            ("", "Enter a subdomain"),
        ],
    )
    def test_invalid_subdomain(self, subdomain: str, message: str) -> None:
        data = self._check(subdomain)
        assert data["available"] is False
        assert message in str(data["message"])

    def test_message_in_the_users_language(self) -> None:
        data = self._check("www", "bg")
        assert data == {
            "available": False,
            "message": "Поддомейнът „www“ е запазен. Моля, изберете друг.",
        }

    def test_needs_a_signed_in_user(self) -> None:
        response = host_client("localhost").get("/welcome/check/", {"subdomain": "x"})
        assert response.status_code == 302


@pytest.mark.django_db
class TestSsoFromCompanyHost:
    @pytest.fixture(autouse=True)
    def _sso_open(self, settings: object) -> None:
        settings.SOCIALACCOUNT_PROVIDERS = {  # type: ignore[attr-defined]
            "openid_connect": {
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "oidc",
                        "name": "Company SSO",
                        "client_id": "cid",
                        "secret": "s",
                        "settings": {"server_url": "http://127.0.0.1:9/"},
                    }
                ],
            }
        }

    def test_redirects_to_the_public_provider_login_and_back_via_go(self, alpha: Company) -> None:
        response = host_client("alpha.localhost:8000").get("/sso/oidc/")
        assert response.status_code == 302
        url = urlsplit(response["Location"])
        assert (url.scheme, url.netloc, url.path) == (
            "http",
            "localhost:8000",
            "/accounts/oidc/oidc/login/",
        )
        assert parse_qs(url.query) == {"process": ["login"], "next": ["/go/alpha/"]}

    def test_unknown_provider_is_404(self, alpha: Company) -> None:
        assert host_client("alpha.localhost").get("/sso/nope/").status_code == 404

    def test_login_pages_list_configured_providers(self, alpha: Company) -> None:
        from django.template.loader import render_to_string
        from django.test import RequestFactory

        from shared_apps.tenants.middleware import PublicSite

        public = RequestFactory(HTTP_HOST="localhost").get("/")
        public.tenant = PublicSite()  # type: ignore[attr-defined]
        set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)  # as the routing middleware does
        try:
            html = render_to_string("onboarding/_sso_buttons.html", request=public)
        finally:
            set_urlconf(None)
        assert 'href="/accounts/oidc/oidc/login/?process=login"' in html
        assert "Company SSO" in html
        company = RequestFactory(HTTP_HOST="alpha.localhost").get("/")
        company.tenant = alpha  # type: ignore[attr-defined]
        html = render_to_string("onboarding/_sso_buttons.html", request=company)
        assert 'href="/sso/oidc/"' in html
        # allauth's own public login page shows the configured provider too
        body = host_client("localhost").get("/accounts/login/").content.decode()
        assert "/accounts/oidc/oidc/login/" in body


@pytest.mark.django_db
def test_sign_up_link_on_a_company_host_leads_to_the_public_host() -> None:
    response = host_client("alpha.localhost").get("/accounts/signup/")
    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/signup/"
