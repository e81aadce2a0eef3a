"""SSO end to end over real HTTP: an OpenID Connect provider (oidc-provider-mock) and the app
served by gunicorn against the test database, driven like a browser.

Nothing is mocked between them: the app discovers the provider, exchanges the code (with
PKCE) and verifies the ID token over HTTP on 127.0.0.1. The browser connects to 127.0.0.1
with explicit Host headers (`localhost:<port>` and `<sub>.localhost:<port>`) and keeps one
cookie jar per host, as a browser does with host-only cookies.

The server commits its own rows, so each test uses fresh emails and subdomains and deletes
what it created. These tests never use `transactional_db`/`live_server`, whose teardown would
truncate the run's shared companies.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from allauth.socialaccount.models import SocialAccount

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tests.processes import background_process, child_env, http_ready, run_python
from tests.servers import free_port

# django_db: the run must set up the test database, and reads see the server's commits.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PROVIDER_ID = "oidc"


@dataclass
class Servers:
    app_port: int
    oidc_url: str

    @property
    def public(self) -> str:
        return f"http://localhost:{self.app_port}"

    def company(self, subdomain: str) -> str:
        return f"http://{subdomain}.localhost:{self.app_port}"


@pytest.fixture(scope="module")
def oidc_url() -> Iterator[str]:
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(require_nonce=False), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@pytest.fixture(scope="module")
def servers(
    oidc_url: str, django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[Servers]:
    port = free_port()
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        env = child_env(
            OIDC_CLIENT_ID="crm-e2e",
            OIDC_CLIENT_SECRET="crm-e2e-secret",
            OIDC_SERVER_URL=oidc_url,
            OIDC_PROVIDER_ID=PROVIDER_ID,
            OIDC_NAME="Test SSO",
            DB_POOL_MAX_SIZE="4",
        )
    with background_process(
        "gunicorn (SSO e2e)",
        [
            sys.executable, "-m", "gunicorn", "saas.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
            "--timeout", "60", "--log-level", "warning",
        ],
        env=env,
        # gunicorn accepts connections before its worker has booted: a probe may time out.
        ready=http_ready(port),
    ):  # fmt: skip
        yield Servers(app_port=port, oidc_url=oidc_url)


_CLEANUP = """
import json, os
import django
django.setup()
from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_delete
for subdomain in json.loads(os.environ["E2E_SUBDOMAINS"]):
    company = Company.objects.filter(subdomain=subdomain).first()
    if company is not None:
        company_delete(company=company)
User.objects.filter(email__in=json.loads(os.environ["E2E_EMAILS"])).delete()
"""

_CREATE_USER = """
import os
import django
django.setup()
from shared_apps.accounts.models import User
User.objects.create_user(os.environ["E2E_EMAIL"], "correct-horse-battery-9")
"""


@dataclass
class Created:
    emails: list[str] = field(default_factory=list)
    subdomains: list[str] = field(default_factory=list)

    def email(self, prefix: str = "sso") -> str:
        email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"
        self.emails.append(email)
        return email

    def subdomain(self) -> str:
        subdomain = f"sso-{uuid.uuid4().hex[:8]}"
        self.subdomains.append(subdomain)
        return subdomain


@pytest.fixture
def created() -> Iterator[Created]:
    """What the server commits outlives the test's transaction: each test names what it
    creates, and another process (outside the test transaction) deletes it afterwards."""
    created = Created()
    yield created
    result = run_python(
        _CLEANUP,
        E2E_SUBDOMAINS=json.dumps(created.subdomains),
        E2E_EMAILS=json.dumps(created.emails),
    )
    assert result.returncode == 0, result.stderr


@dataclass
class Browser:
    """requests, with one cookie jar per host and redirects followed by hand."""

    servers: Servers
    jars: dict[str, dict[str, str]] = field(default_factory=dict)
    language: str = "en"

    def request(
        self, method: str, url: str, data: dict[str, str] | None = None
    ) -> requests.Response:
        parts = urlsplit(url)
        host = parts.netloc
        target = url
        headers = {"Accept-Language": self.language}
        if parts.hostname and parts.hostname.endswith("localhost"):
            # *.localhost may not resolve here: connect to 127.0.0.1 and name the host.
            target = urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}"))
            headers["Host"] = host
        jar = self.jars.setdefault(parts.hostname or "", {})
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        response = requests.request(
            method, target, data=data, headers=headers, allow_redirects=False, timeout=30
        )
        for header in response.raw.headers.getlist("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                assert not morsel["domain"], f"{name} must be host-only: {header}"
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
        return response

    def get(self, url: str) -> requests.Response:
        return self.request("GET", url)

    def post(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.request("POST", url, data)

    def follow(self, response: requests.Response, limit: int = 10) -> requests.Response:
        """Follow redirects (GET), resolving relative locations against the last URL."""
        for _ in range(limit):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = response.headers["Location"]
            base = urlsplit(response.url)
            if location.startswith("/"):
                # relative to the host the browser asked for, not 127.0.0.1
                host = str(response.request.headers.get("Host") or base.netloc)
                location = f"{base.scheme}://{host}{location}"
            response = self.get(location)
        raise AssertionError("too many redirects")

    def csrf(self, response: requests.Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        assert match, response.text[:2000]
        return match.group(1)

    def cookies(self, host: str) -> dict[str, str]:
        return self.jars.get(host, {})


def _provider_user(servers: Servers, *, email: str, verified: bool = True) -> str:
    sub = f"sub-{uuid.uuid4().hex[:12]}"
    response = requests.put(
        f"{servers.oidc_url}/users/{sub}",
        json={"email": email, "email_verified": verified, "name": "Ада Лъвлейс"},
        timeout=10,
    )
    assert response.status_code == 204
    return sub


def _start_sso(browser: Browser, next_path: str = "/welcome/") -> requests.Response:
    """Public host: the provider's login page, then POST it (allauth never starts on GET).
    Returns the redirect to the provider's authorization endpoint."""
    login_path = f"/accounts/oidc/{PROVIDER_ID}/login/?" + urlencode(
        {"process": "login", "next": next_path}
    )
    page = browser.get(browser.servers.public + login_path)
    assert page.status_code == 200, page.text[:2000]
    response = browser.post(
        browser.servers.public + login_path, {"csrfmiddlewaretoken": browser.csrf(page)}
    )
    assert response.status_code == 302, response.text[:2000]
    authorize = urlsplit(response.headers["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}" == browser.servers.oidc_url
    query = parse_qs(authorize.query)
    # PKCE is on
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"]
    return response


def _authorize(browser: Browser, authorize_url: str, **form: str) -> str:
    """At the provider: approve (form sub=…) or deny (action=deny); returns the callback URL."""
    response = requests.post(authorize_url, data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:2000]
    callback = response.headers["Location"]
    assert callback.startswith(
        f"{browser.servers.public}/accounts/oidc/{PROVIDER_ID}/login/callback/"
    )
    return callback


def _is_signed_in_on_public(browser: Browser) -> bool:
    response = browser.get(browser.servers.public + "/welcome/")
    return response.status_code == 200


class TestSsoEndToEnd:
    def test_sign_up_with_sso_onboard_and_land_on_the_company_host(
        self, servers: Servers, created: Created
    ) -> None:
        email = created.email()
        subdomain = created.subdomain()
        browser = Browser(servers)
        # given a person known to the identity provider (email verified there)
        sub = _provider_user(servers, email=email)
        # when they choose SSO on the public host and approve at the provider
        authorize = _start_sso(browser).headers["Location"]
        callback = _authorize(browser, authorize, sub=sub)
        welcome = browser.follow(browser.get(callback))
        # then they are signed up, signed in, and on the onboarding page
        assert welcome.status_code == 200, welcome.text[:3000]
        assert urlsplit(welcome.url).path == "/welcome/"
        assert "Create your company" in welcome.text
        user = User.objects.get(email=email)
        assert SocialAccount.objects.filter(user=user, provider=PROVIDER_ID, uid=sub).exists()
        # the availability check answers on the real server too
        check = browser.get(f"{servers.public}/welcome/check/?subdomain={subdomain}")
        assert check.json() == {"available": True, "message": f"“{subdomain}” is available."}

        # when they create their company
        response = browser.post(
            servers.public + "/welcome/",
            {
                "csrfmiddlewaretoken": browser.csrf(welcome),
                "name": "SSO Test OOD",
                "subdomain": subdomain,
            },
        )
        # then they are handed off to its host, already signed in there
        assert response.status_code == 302, response.text[:3000]
        assert response.headers["Location"].startswith(
            f"{servers.company(subdomain)}/handoff/?token="
        )
        home = browser.follow(response)
        assert home.status_code == 200, home.text[:3000]
        assert urlsplit(home.url).path == "/"
        assert "SSO Test OOD" in home.text
        company_cookies = browser.cookies(f"{subdomain}.localhost")
        assert "sessionid" in company_cookies  # host-only: Browser asserts no Domain
        assert company_cookies["sessionid"] != browser.cookies("localhost")["sessionid"]
        company = Company.objects.get(subdomain=subdomain)
        membership = Membership.objects.get(company=company)
        assert (membership.user, membership.role) == (user, Membership.Role.OWNER)

        # and a fresh browser with only the public session gets in through /go/
        again = Browser(servers, jars={"localhost": dict(browser.cookies("localhost"))})
        landed = again.follow(again.get(f"{servers.public}/go/{subdomain}/"))
        assert landed.status_code == 200
        assert "SSO Test OOD" in landed.text

    def test_provider_denies_access(self, servers: Servers, created: Created) -> None:
        browser = Browser(servers)
        authorize = _start_sso(browser).headers["Location"]
        callback = urlsplit(_authorize(browser, authorize, action="deny"))
        query = parse_qs(callback.query)
        assert query["error"] == ["access_denied"]
        if "state" not in query:
            # oidc-provider-mock 0.3 drops `state` from its deny redirect; RFC 6749 §4.1.2.1
            # requires it (and allauth refuses a callback without it), so add it back as a
            # compliant provider would send it.
            state = parse_qs(urlsplit(authorize).query)["state"][0]
            callback = callback._replace(
                query=urlencode({"error": "access_denied", "state": state})
            )
        page = browser.follow(browser.get(urlunsplit(callback)))
        assert page.status_code == 200
        assert "Login Cancelled" in page.text
        assert not _is_signed_in_on_public(browser)

    def test_state_mismatch_is_refused(self, servers: Servers, created: Created) -> None:
        email = created.email()
        browser = Browser(servers)
        sub = _provider_user(servers, email=email)
        authorize = _start_sso(browser).headers["Location"]
        callback = urlsplit(_authorize(browser, authorize, sub=sub))
        query = parse_qs(callback.query)
        forged = urlunsplit(
            callback._replace(query=urlencode({"code": query["code"][0], "state": "forged-state"}))
        )
        page = browser.get(forged)
        assert page.status_code == 401
        assert "Third-Party Login Failure" in page.text
        assert not _is_signed_in_on_public(browser)
        assert not User.objects.filter(email=email).exists()

    @pytest.mark.parametrize("verified", [False, True])
    def test_sso_identity_is_not_linked_to_an_existing_account_by_email(
        self, servers: Servers, created: Created, verified: bool
    ) -> None:
        # given an existing password account (committed, so the server sees it)
        email = created.email("existing")
        result = run_python(_CREATE_USER, E2E_EMAIL=email)
        assert result.returncode == 0, result.stderr
        existing = User.objects.get(email=email)
        browser = Browser(servers)
        # when someone signs in at the provider with the same email address
        sub = _provider_user(servers, email=email, verified=verified)
        authorize = _start_sso(browser).headers["Location"]
        page = browser.follow(browser.get(_authorize(browser, authorize, sub=sub)))
        # then they are not signed in as the existing person, and nothing is linked
        assert page.status_code == 200
        assert urlsplit(page.url).path != "/welcome/"
        assert not _is_signed_in_on_public(browser)
        assert not SocialAccount.objects.filter(user=existing).exists()
        assert not SocialAccount.objects.filter(uid=sub).exists()
        assert User.objects.filter(email=email).count() == 1


_ISSUE_HANDOFF = """
import os
import django
django.setup()
from shared_apps.accounts.handoff import handoff_issue
from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
user = User.objects.create_user(os.environ["E2E_EMAIL"], "correct-horse-battery-9")
alpha = Company.objects.get(subdomain="alpha")
Membership.objects.create(user=user, company=alpha, role=Membership.Role.MEMBER)
print(handoff_issue(user=user, company=alpha, request=None))
"""


class TestHandoffRace:
    def test_parallel_redemptions_of_one_token_sign_in_once(
        self, servers: Servers, created: Created
    ) -> None:
        # given a committed handoff token for a member of alpha
        email = created.email("race")
        result = run_python(_ISSUE_HANDOFF, E2E_EMAIL=email)
        assert result.returncode == 0, result.stderr
        token = result.stdout.strip().splitlines()[-1]
        url = f"http://127.0.0.1:{servers.app_port}/handoff/?" + urlencode({"token": token})
        barrier = threading.Barrier(4)
        statuses: list[int] = []

        def redeem() -> None:
            barrier.wait()
            response = requests.get(
                url,
                headers={"Host": f"alpha.localhost:{servers.app_port}"},
                allow_redirects=False,
                timeout=30,
            )
            statuses.append(response.status_code)

        # when four browsers present it at the same moment (gunicorn serves 4 threads)
        threads = [threading.Thread(target=redeem) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        # then exactly one is signed in; the others get the error page
        assert sorted(statuses) == [302, 400, 400, 400]
