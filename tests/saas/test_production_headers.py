"""Proof over real HTTP: gunicorn serving `saas.settings.production` (test secrets, the test
database) sends every security header on the public page, a company page, the sign-in page,
a JSON endpoint and a static file; cookies are `__Host-`, Secure, HttpOnly and SameSite=Lax;
plain HTTP is redirected to HTTPS except the health probes and Stripe's webhook; and the
Mozilla HTTP Observatory score computed from those responses (tests/saas/observatory.py) is
A+ for each of them.

The proxy in front of gunicorn is played by the test: it sends `X-Forwarded-Proto: https`
for HTTPS requests and leaves it out for plain HTTP ones.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from textwrap import dedent

import pytest
import requests
from django.conf import settings

from tests.processes import background_process, child_env, http_ready, run_manage, run_python
from tests.saas.observatory import Response, Site, observatory_grade, parse_csp
from tests.servers import free_port

# django_db: the test database must exist (and hold alpha) before gunicorn serves from it.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = "a long enough passphrase 42"
ORIGIN = "https://http-observatory.security.mozilla.org"
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "saas.settings.production",
    "DEBUG": "false",
    "SECRET_KEY": "headers-test-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "FIELD_ENCRYPTION_KEYS": "nH0nJm4dpdw7cY8FfKx6qH3pNeQm8qG9vWcT1yZ2s0A=",
    "STRIPE_LIVE_MODE": "false",
    "STRIPE_TEST_SECRET_KEY": "sk_test_HeadersTest00000000000000000000",
    "AI_ENABLED": "false",
    # The companies of the test database live on *.localhost.
    "BASE_DOMAIN": "localhost",
    "ALLOWED_HOSTS": "localhost,.localhost",
    "LOG_LEVEL": "WARNING",
}
EXPECTED_CSP = {
    "default-src": {"'none'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "manifest-src": {"'self'"},
    "form-action": {
        "'self'",
        "https://localhost",
        "https://*.localhost",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
    },
    "frame-ancestors": {"'none'"},
    "base-uri": {"'none'"},
    "object-src": {"'none'"},
    "report-uri": {"/csp-report/"},
}
# On every response: pages, redirects, JSON, static files, health probes.
EVERYWHERE = {
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


# The tests' own Redis database and a prefix of this run: production's default cache (Redis
# database 1, prefix "crm") is shared with anyone's running instance, whose host -> company
# entries point into another database.
_CACHE_ENV = {
    "CACHE_URL": settings.CACHES["default"]["LOCATION"],
    "CACHE_KEY_PREFIX": f"crm-headers-{uuid.uuid4().hex[:8]}",
}


@dataclass(frozen=True)
class Server:
    port: int

    def get(
        self, host: str, path: str, *, https: bool = True, headers: dict[str, str] | None = None
    ) -> requests.Response:
        return self.request("GET", host, path, https=https, headers=headers)

    def request(
        self,
        method: str,
        host: str,
        path: str,
        *,
        https: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> requests.Response:
        sent = {"Host": host, "Accept-Language": "en", **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        return requests.request(
            method,
            f"http://127.0.0.1:{self.port}{path}",
            headers=sent,
            allow_redirects=False,
            timeout=30,
            **kwargs,  # type: ignore[arg-type]
        )


def _raw_headers(response: requests.Response) -> list[tuple[str, str]]:
    return list(response.raw.headers.iteritems())


def _set_cookies(response: requests.Response) -> list[str]:
    return list(response.raw.headers.getlist("Set-Cookie"))


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Server]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        env = child_env(**PRODUCTION_ENV)
    for name in ("SENTRY_DSN", "EMAIL_BACKEND", "SECRET_KEY_FALLBACKS"):
        env.pop(name, None)
    env.update(_CACHE_ENV)
    # Production serves the collected, hashed files (CompressedManifestStaticFilesStorage).
    collected = run_manage("collectstatic", "--noinput", timeout=180, **env)
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    with background_process(
        "gunicorn (production headers)",
        [
            *(sys.executable, "-m", "gunicorn", "saas.wsgi:application"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "60"),
        ],
        env=env,
        ready=http_ready(port),
        stop_timeout=15,
    ):
        yield Server(port=port)


@dataclass(frozen=True)
class Member:
    email: str


@pytest.fixture(scope="module")
def member(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Member]:
    """A committed member of alpha who signs in by password (created and removed by another
    process: gunicorn must see it)."""
    email = f"headers-{uuid.uuid4().hex[:8]}@example.test"
    create = """
        import django; django.setup()
        from allauth.account.models import EmailAddress
        from shared_apps.accounts.models import Membership, User
        from shared_apps.tenants.models import Company
        user = User.objects.create_user(email=EMAIL, password=PASSWORD)
        EmailAddress.objects.create(user=user, email=EMAIL, primary=True, verified=True)
        company = Company.objects.get(subdomain="alpha")
        Membership.objects.create(user=user, company=company, role=Membership.Role.MEMBER)
    """
    remove = """
        import django; django.setup()
        from shared_apps.accounts.models import User
        User.objects.filter(email=EMAIL).delete()
    """
    bindings = f"EMAIL = {email!r}\nPASSWORD = {PASSWORD!r}\n"
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        # Production's password hasher, not the tests' MD5.
        created = run_python(bindings + dedent(create), timeout=60, **PRODUCTION_ENV, **_CACHE_ENV)
        assert created.returncode == 0, created.stderr
        try:
            yield Member(email=email)
        finally:
            run_python(bindings + dedent(remove), timeout=60, **PRODUCTION_ENV, **_CACHE_ENV)


def _sign_in(server: Server, host: str, member: Member) -> tuple[requests.Response, str]:
    """POST the sign-in form over HTTPS; the response and the session cookie's Set-Cookie."""
    page = server.get(host, "/accounts/login/")
    assert page.status_code == 200, page.text[:300]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    csrf_cookie = page.cookies["__Host-csrftoken"]
    response = server.request(
        "POST",
        host,
        "/accounts/login/",
        headers={
            "Origin": f"https://{host}",
            "Referer": f"https://{host}/accounts/login/",
            "Cookie": f"__Host-csrftoken={csrf_cookie}",
        },
        data={"login": member.email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302, response.text[:500]
    [session] = [c for c in _set_cookies(response) if c.startswith("__Host-sessionid=")]
    return response, session


def _cookie_attributes(raw: str) -> tuple[str, dict[str, str]]:
    first, *parts = (p.strip() for p in raw.split(";"))
    attributes = {}
    for part in parts:
        key, _, value = part.partition("=")
        attributes[key.lower()] = value
    return first.split("=", 1)[0], attributes


def _assert_headers(response: requests.Response) -> None:
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (name, response.url, response.headers)
    assert parse_csp(response.headers["Content-Security-Policy"]) == EXPECTED_CSP
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in permissions
    assert "publickey-credentials-get=(self)" in permissions
    assert "publickey-credentials-create=(self)" in permissions
    assert "Access-Control-Allow-Origin" not in response.headers


def _assert_cookie(raw: str, name: str, *, httponly: bool = True) -> None:
    cookie_name, attributes = _cookie_attributes(raw)
    assert cookie_name == name
    assert "secure" in attributes
    assert attributes.get("samesite") == "Lax"
    assert attributes.get("path") == "/"
    assert "domain" not in attributes  # __Host-: host-only
    assert ("httponly" in attributes) is httponly


def _grade(server: Server, host: str, path: str, cookies: list[str] | None = None) -> Site:
    """What the Observatory would see for https://host/path."""
    response = server.get(host, path)
    assert 200 <= response.status_code < 300, (path, response.status_code)
    plain = server.get(host, path, https=False)
    route = [f"http://{host}{path}"]
    if plain.is_redirect:
        route.append(plain.headers["Location"])
    cors = server.get(host, path, headers={"Origin": ORIGIN})
    return Site(
        response=Response(
            url=f"https://{host}{path}",
            status=response.status_code,
            headers=_raw_headers(response),
            body=response.text,
        ),
        http_route=route,
        set_cookies=_set_cookies(response) + (cookies or []),
        cors_origin=ORIGIN,
        cors_response=Response(
            url=response.url, status=cors.status_code, headers=_raw_headers(cors)
        ),
    )


class TestHeaders:
    def test_public_page(self, server: Server) -> None:
        response = server.get("localhost", "/")
        assert response.status_code == 200
        _assert_headers(response)

    def test_company_page_sends_a_visitor_to_sign_in(self, server: Server) -> None:
        response = server.get("alpha.localhost", "/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/accounts/login/")
        _assert_headers(response)

    def test_signed_in_company_page(self, server: Server, member: Member) -> None:
        signed_in, session = _sign_in(server, "alpha.localhost", member)
        _assert_headers(signed_in)
        _assert_cookie(session, "__Host-sessionid")
        cookie = session.split(";", 1)[0]
        home = server.get("alpha.localhost", "/", headers={"Cookie": cookie})
        assert home.status_code == 200, home.text[:300]
        _assert_headers(home)
        assert "Alpha Ltd" in home.text

    @pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
    def test_login_page_sets_a_host_only_secure_csrf_cookie(
        self, server: Server, host: str
    ) -> None:
        response = server.get(host, "/accounts/login/")
        assert response.status_code == 200
        _assert_headers(response)
        [csrf] = _set_cookies(response)
        _assert_cookie(csrf, "__Host-csrftoken")

    def test_json_endpoint(self, server: Server, member: Member) -> None:
        _, session = _sign_in(server, "localhost", member)
        response = server.get(
            "localhost",
            "/welcome/check/?subdomain=zz-free-name",
            headers={"Cookie": session.split(";", 1)[0]},
        )
        assert response.status_code == 200, response.text[:300]
        assert response.headers["Content-Type"] == "application/json"
        assert "available" in response.json()
        _assert_headers(response)

    @pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "10.0.0.7"])
    def test_health_probe(self, server: Server, host: str) -> None:
        # Answered before routing and Django's SecurityMiddleware, on any host.
        response = server.get(host, "/health/live")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        _assert_headers(response)

    def test_unknown_host(self, server: Server) -> None:
        response = server.get("nobody.localhost", "/")
        assert response.status_code == 404
        _assert_headers(response)

    def test_static_file(self, server: Server) -> None:
        page = server.get("localhost", "/")
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet is not None, "the page links the hashed, collected stylesheet"
        response = server.get("localhost", stylesheet.group(1))
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/css")
        _assert_headers(response)
        assert "max-age=315360000" in response.headers["Cache-Control"]

    def test_language_cookie(self, server: Server) -> None:
        page = server.get("localhost", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        response = server.request(
            "POST",
            "localhost",
            "/i18n/setlang/",
            headers={
                "Origin": "https://localhost",
                "Cookie": f"__Host-csrftoken={page.cookies['__Host-csrftoken']}",
            },
            data={"language": "bg", "next": "/", "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status_code == 302
        [language] = _set_cookies(response)
        _assert_cookie(language, "__Host-language")


class TestRedirects:
    @pytest.mark.parametrize(
        ("host", "path"),
        [("localhost", "/"), ("alpha.localhost", "/accounts/login/"), ("localhost", "/admin/")],
    )
    def test_plain_http_goes_to_https_on_the_same_host(
        self, server: Server, host: str, path: str
    ) -> None:
        response = server.get(host, path, https=False)
        assert response.status_code == 301
        assert response.headers["Location"] == f"https://{host}{path}"
        # HSTS is only meaningful (and only sent) over HTTPS.
        assert "Strict-Transport-Security" not in response.headers

    @pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
    def test_health_probes_are_not_redirected(self, server: Server, path: str) -> None:
        response = server.get("10.0.0.7", path, https=False)
        assert response.status_code in (200, 503)
        assert response.headers["Content-Type"] == "application/json"

    def test_stripe_webhook_is_not_redirected(self, server: Server) -> None:
        response = server.request(
            "POST",
            "localhost",
            f"/stripe/webhook/{uuid.uuid4()}/",
            https=False,
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code not in (301, 302, 307, 308)
        assert response.status_code in (400, 404)

    def test_csp_reports_are_accepted_over_https(self, server: Server) -> None:
        body = {
            "csp-report": {"document-uri": "https://localhost/", "violated-directive": "img-src"}
        }
        response = server.request(
            "POST",
            "alpha.localhost",
            "/csp-report/",
            data=json.dumps(body),
            headers={"Content-Type": "application/csp-report"},
        )
        assert response.status_code == 204


class TestObservatory:
    @pytest.mark.parametrize(
        ("host", "path"),
        [
            ("localhost", "/"),
            ("localhost", "/accounts/login/"),
            ("alpha.localhost", "/accounts/login/"),
        ],
    )
    def test_pages_grade_a_plus(self, server: Server, host: str, path: str) -> None:
        grade = observatory_grade(_grade(server, host, path))
        assert grade.results == {
            "content-security-policy": "csp-implemented-with-no-unsafe-default-src-none",
            "cookies": grade.results["cookies"],
            "cross-origin-resource-sharing": "cross-origin-resource-sharing-not-implemented",
            "redirection": "redirection-to-https",
            "referrer-policy": "referrer-policy-private",
            "strict-transport-security": "hsts-implemented-max-age-at-least-six-months",
            "subresource-integrity": grade.results["subresource-integrity"],
            "x-content-type-options": "x-content-type-options-nosniff",
            "x-frame-options": "x-frame-options-implemented-via-csp",
            "cross-origin-resource-policy": (
                "cross-origin-resource-policy-implemented-with-same-origin"
            ),
        }
        assert grade.results["cookies"] in (
            "cookies-secure-with-httponly-sessions-and-samesite",
            "cookies-not-found",
        )
        assert grade.grade == "A+", grade
        assert grade.score >= 130

    def test_signed_in_company_page_grades_a_plus(self, server: Server, member: Member) -> None:
        # The Observatory's cookie jar holds every cookie set on the way: session included.
        _, session = _sign_in(server, "alpha.localhost", member)
        site = _grade(server, "alpha.localhost", "/accounts/login/", cookies=[session])
        grade = observatory_grade(site)
        assert grade.results["cookies"] == "cookies-secure-with-httponly-sessions-and-samesite"
        assert (grade.score, grade.grade) == (135, "A+")

    def test_static_file_grades_a_plus(self, server: Server) -> None:
        page = server.get("localhost", "/")
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet is not None
        grade = observatory_grade(_grade(server, "localhost", stylesheet.group(1)))
        assert grade.results["subresource-integrity"] == "sri-not-implemented-response-not-html"
        assert grade.grade == "A+", grade
