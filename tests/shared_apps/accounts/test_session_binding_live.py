"""A stolen session cookie over real HTTP: signed in on the public host of a running server,
the cookie copied to a request for a company host is refused there, while it still works
where it was issued."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.processes import run_in_django
from tests.servers import AppServer, app_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = "correct-horse-battery-9"
TIMEOUT = 10


@pytest.fixture
def member(db: None) -> Iterator[str]:
    """A committed member of alpha who signs in by password (other processes read it)."""
    email = f"live-{uuid.uuid4().hex[:8]}@example.test"
    run_in_django(
        """
        from allauth.account.models import EmailAddress
        from shared_apps.accounts.models import User
        from shared_apps.accounts.services import membership_create
        from shared_apps.tenants.models import Company

        user = User.objects.create_user(email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        company = Company.objects.get(subdomain="alpha")
        membership_create(user=user, company=company, role="member", actor=None)
        print("null")
        """,
        email=email,
        password=PASSWORD,
    )
    try:
        yield email
    finally:
        run_in_django(
            """
            from shared_apps.accounts.models import User
            User.objects.filter(email=email).delete()
            print("null")
            """,
            email=email,
        )


def _get(server: AppServer, host: str, path: str, cookies: dict[str, str]) -> requests.Response:
    # Connect to 127.0.0.1 and name the host in the header (the C resolver may not know
    # *.localhost).
    return requests.get(
        f"http://127.0.0.1:{server.port}{path}",
        headers={"Host": f"{host}:{server.port}"},
        cookies=cookies,
        allow_redirects=False,
        timeout=TIMEOUT,
    )


def _sign_in(server: AppServer, email: str) -> str:
    page = _get(server, "localhost", "/accounts/login/", {})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    response = requests.post(
        f"http://127.0.0.1:{server.port}/accounts/login/",
        headers={"Host": f"localhost:{server.port}", "Referer": f"http://localhost:{server.port}/"},
        cookies={"csrftoken": str(page.cookies["csrftoken"])},
        data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, response.text[:500]
    return str(response.cookies["sessionid"])


def test_a_copied_public_cookie_is_refused_on_a_company_host(member: str) -> None:
    with app_server() as server:
        # given a member of alpha signed in on the public host
        key = _sign_in(server, member)
        assert _get(server, "localhost", "/welcome/", {"sessionid": key}).status_code == 200

        # when the cookie is sent to alpha's host
        stolen = _get(server, "alpha.localhost", "/", {"sessionid": key})

        # then alpha sends it to sign in, and the session still works on the public host
        assert stolen.status_code == 302
        assert stolen.headers["Location"].startswith("/accounts/login/")
        assert _get(server, "localhost", "/welcome/", {"sessionid": key}).status_code == 200
