"""Oversized request bodies are refused with 413 before they are read; spoofed Host and
X-Forwarded-Host headers never pick a company."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact
from tests.conftest import host_client
from tests.tenant_apps.crm.factories import member_of

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class _Unreadable(BytesIO):
    """A body that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def _post(client: Client, path: str, *, length: int, content_type: str, **extra: str) -> object:
    return client.generic(
        "POST",
        path,
        data=b"",
        content_type=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": _Unreadable(), **extra},  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("content_type", "length"),
    [
        ("application/x-www-form-urlencoded", 5 * MB + 1),
        ("application/json", 6 * MB),
        ("multipart/form-data; boundary=xyz", 10 * MB + 1),
    ],
)
@pytest.mark.parametrize("host", ["localhost", "alpha.localhost"])
def test_oversized_bodies_are_refused_unread(
    alpha: Company, host: str, content_type: str, length: int
) -> None:
    response = _post(
        host_client(host, HTTP_ACCEPT_LANGUAGE="en"),
        "/accounts/login/",
        length=length,
        content_type=content_type,
    )
    assert response.status_code == 413  # type: ignore[attr-defined]
    body = response.content.decode()  # type: ignore[attr-defined]
    assert "Too large" in body
    assert "Nothing was saved" in body
    # no hop-by-hop header (the development server answers 500 to one: checked against
    # real servers in test_request_limits_servers.py), and a length for the answer
    assert "Connection" not in response  # type: ignore[operator]
    assert response["Content-Length"] == str(len(response.content))  # type: ignore[index, attr-defined]
    # the security headers are still there
    assert response["X-Content-Type-Options"] == "nosniff"  # type: ignore[index]
    assert "default-src 'none'" in response["Content-Security-Policy"]  # type: ignore[index]


def test_refusal_is_in_the_users_language(alpha: Company) -> None:
    response = _post(
        host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="bg"),
        "/contacts/new/",
        length=6 * MB,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert "Твърде голямо" in response.content.decode()  # type: ignore[attr-defined]


def test_a_large_file_upload_under_the_limit_is_not_refused(alpha: Company) -> None:
    # 6 MB of multipart passes this middleware (files may be up to 10 MB); the view decides
    client = host_client("alpha.localhost")
    client.force_login(member_of(alpha, "member"))
    upload = BytesIO(b"x" * (6 * MB))
    upload.name = "big.csv"
    response = client.post("/contacts/new/", {"file": upload})
    # it reached the view, whose form refused it (no name given)
    assert response.status_code == 400
    assert "form" in response.context


def test_a_malformed_length_is_a_400(alpha: Company) -> None:
    client = host_client("alpha.localhost")
    response = client.generic(
        "POST", "/accounts/login/", b"", CONTENT_LENGTH="12abc", content_type="text/plain"
    )
    assert response.status_code == 400


def test_a_forged_forwarded_host_never_picks_a_company(alpha: Company, beta: Company) -> None:
    # served by the Host header; X-Forwarded-Host is not trusted (USE_X_FORWARDED_HOST off)
    user = member_of(beta, "member")
    client = host_client("beta.localhost", HTTP_X_FORWARDED_HOST="alpha.localhost")
    client.force_login(user)
    response = client.get("/contacts/")
    assert response.status_code == 200
    assert response.wsgi_request.tenant.subdomain == "beta"  # type: ignore[attr-defined]
    # an unknown Host with a known X-Forwarded-Host is still unknown
    spoofed = host_client("evil.example.net", HTTP_X_FORWARDED_HOST="alpha.localhost")
    assert spoofed.get("/accounts/login/").status_code == 404


@pytest.mark.parametrize(
    "host",
    ["evil.example.net", "alpha.localhost.evil.net", "localhost:8000@evil.net", "a b", ""],
)
def test_unknown_or_malformed_hosts_are_404_without_company_data(alpha: Company, host: str) -> None:
    response = host_client(host).get("/contacts/")
    assert response.status_code in (400, 404)
    assert b"alpha" not in response.content


def test_nothing_is_written_by_a_refused_body(alpha: Company) -> None:
    user = member_of(alpha, "member")
    client = host_client("alpha.localhost")
    client.force_login(user)
    with schema_context("alpha"):
        before = Contact.objects.count()
    response = _post(
        client,
        "/contacts/new/",
        length=6 * MB,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413  # type: ignore[attr-defined]
    with schema_context("alpha"):
        assert Contact.objects.count() == before
