"""A person signs up by email, follows the verification link from the email, creates a
company and arrives on its host signed in, in a real Chromium (system package, Playwright)."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_delete
from tests.servers import AppServer, app_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


@pytest.fixture
def mail_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@pytest.fixture
def server(django_db_setup: None, mail_dir: Path) -> Iterator[AppServer]:
    with app_server(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        CELERY_TASK_ALWAYS_EAGER="true",
    ) as running:
        yield running


def _verification_link(mail_dir: Path, port: int) -> str:
    text = "\n".join(p.read_text(errors="replace") for p in sorted(mail_dir.glob("*")))
    text = text.replace("=\n", "")  # quoted-printable soft line breaks
    match = re.search(rf"http://localhost:{port}/accounts/confirm-email/[^\s\"<>]+/", text)
    assert match, f"no verification link in the captured email:\n{text[:2000]}"
    return match.group(0)


def test_email_signup_to_company_host(
    server: AppServer, mail_dir: Path, django_db_blocker: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import sync_playwright

    suffix = uuid.uuid4().hex[:6]
    email = f"newcomer-{suffix}@example.test"
    subdomain = f"newco-{suffix}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(locale="en-GB")
            # sign up on the public host
            page.goto(server.url("localhost", "/accounts/signup/"))
            page.fill("input[name=email]", email)
            page.fill("input[name=password1]", "a long enough passphrase 42")
            page.fill("input[name=password2]", "a long enough passphrase 42")
            page.click("form [type=submit]")
            page.wait_for_load_state()
            # the verification email arrives; its link confirms the address
            page.goto(_verification_link(mail_dir, server.port))
            page.click("form [type=submit]")
            page.wait_for_url(re.compile(r"/welcome/"))
            # onboarding: company name and subdomain
            page.fill("input[name=name]", "Newcomer Ltd")
            page.fill("input[name=subdomain]", subdomain)
            page.click("form [type=submit]")
            # handed over to the company host, signed in there
            page.wait_for_url(re.compile(rf"^http://{subdomain}\.localhost:{server.port}/$"))
            assert "Newcomer Ltd" in page.content()
            browser.close()
    finally:
        # The server committed these; remove them for real (no test transaction here).
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            company = Company.objects.filter(subdomain=subdomain).first()
            if company is not None:
                company_delete(company=company)
            User.objects.filter(email=email).delete()
