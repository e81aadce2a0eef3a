"""Every environment (here: test settings) sends the CSP and the browser security headers, on
every kind of response; production's transport settings are in test_production_headers.py."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from saas.headers import permissions_policy
from saas.settings.headers import content_security_policy, sso_origins
from tests.conftest import host_client
from tests.saas.observatory import parse_csp


def _assert_browser_headers(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = parse_csp(headers["Content-Security-Policy"])
    assert csp["default-src"] == {"'none'"}
    assert csp["script-src"] == {"'self'"}
    assert csp["style-src"] == {"'self'"}
    assert csp["object-src"] == csp["base-uri"] == csp["frame-ancestors"] == {"'none'"}
    assert csp["report-uri"] == {"/csp-report/"}
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # HTTP, test settings


@pytest.mark.django_db
class TestEveryResponse:
    def test_public_page(self, public_client: Client) -> None:
        response = public_client.get("/")
        assert response.status_code == 200
        _assert_browser_headers(response)

    def test_company_sign_in_redirect_and_page(self, alpha_client: Client) -> None:
        redirect = alpha_client.get("/")
        assert redirect.status_code == 302
        _assert_browser_headers(redirect)
        _assert_browser_headers(alpha_client.get("/accounts/login/"))

    def test_health_and_unknown_host(self) -> None:
        _assert_browser_headers(host_client("10.1.2.3").get("/health/live"))
        _assert_browser_headers(host_client("nobody.localhost").get("/"))

    def test_a_view_may_keep_its_stricter_referrer_policy(self, public_client: Client) -> None:
        response = public_client.get("/invite/not-a-token/")
        assert response["Referrer-Policy"] == "no-referrer"

    def test_no_inline_script_or_style_on_the_sign_in_pages(
        self, public_client: Client, alpha_client: Client
    ) -> None:
        for client in (public_client, alpha_client):
            html = client.get("/accounts/login/").content.decode()
            assert "<style" not in html
            assert " style=" not in html
            assert " onclick=" not in html
            for tag in html.split("<script")[1:]:
                opening = tag.split(">", 1)[0]
                assert "src=" in opening or 'type="application/json"' in opening, opening


class TestPolicy:
    def test_production_form_action_is_https_site_hosts_sso_and_stripe(self) -> None:
        providers = {
            "google": {},
            "openid_connect": {"APPS": [{"settings": {"server_url": "https://id.example.org/o"}}]},
        }
        assert sso_origins(providers) == ["https://accounts.google.com", "https://id.example.org"]
        policy = content_security_policy(base_domain="crm.example.com", secure=True)
        form_action = policy["DIRECTIVES"]["form-action"]
        assert form_action[:3] == ["'self'", "https://crm.example.com", "https://*.crm.example.com"]
        assert "https://checkout.stripe.com" in form_action
        assert not [source for source in form_action if source.startswith("http:")]

    def test_development_allows_any_port_of_the_site_hosts(self) -> None:
        policy = content_security_policy(base_domain="localhost", secure=False)
        assert policy["DIRECTIVES"]["form-action"][:3] == ["'self'", "localhost:*", "*.localhost:*"]

    def test_permissions_policy_syntax(self) -> None:
        value = permissions_policy({"camera": [], "publickey-credentials-get": ["self"]})
        assert value == "camera=(), publickey-credentials-get=(self)"

    @pytest.mark.django_db
    def test_a_view_exempt_from_framing_rules_keeps_no_x_frame_options(
        self, public_client: Client
    ) -> None:
        from django.http import HttpResponse
        from django.urls import path
        from django.views.decorators.clickjacking import xframe_options_exempt

        @xframe_options_exempt
        def framed(request: object) -> HttpResponse:
            return HttpResponse("ok")

        urlconf = type("urls", (), {"urlpatterns": [path("framed/", framed)]})
        with override_settings(PUBLIC_SCHEMA_URLCONF=urlconf):
            response = public_client.get("/framed/")
        assert response.status_code == 200
        assert "X-Frame-Options" not in response
