"""A person signs up by email, follows the verification link from the email, creates a
company and arrives on its host signed in, in a real Chromium (system package, Playwright)."""

from __future__ import annotations

import email
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.processes import run_python
from tests.servers import AppServer, app_server

pytestmark = [
    pytest.mark.slow,
    # The server process commits its own rows; the test reads them through this marker's
    # database set-up and removes them from another process (see _cleanup).
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


@pytest.fixture
def mail_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(tmp)


@pytest.fixture
def server(db: None, mail_dir: Path) -> Iterator[AppServer]:
    with app_server(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        CELERY_TASK_ALWAYS_EAGER="true",
    ) as running:
        yield running


def _mail_text(mail_dir: Path) -> str:
    """The decoded text of every message the file backend wrote (one file per connection,
    messages separated by a line of dashes)."""
    texts = []
    for path in sorted(mail_dir.glob("*")):
        for raw in path.read_text().split("-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_string(raw.strip())
            for part in message.walk():
                payload = part.get_payload(decode=True)
                if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                    texts.append(payload.decode())
    return "\n".join(texts)


def _verification_link(mail_dir: Path, port: int) -> str:
    text = _mail_text(mail_dir)
    match = re.search(rf"http://localhost:{port}/accounts/confirm-email/[^\s\"<>]+/", text)
    assert match, f"no verification link in the captured email:\n{text[:2000]}"
    return match.group(0)


def _cleanup(subdomain: str, email: str) -> None:
    """Remove what the server committed, in a process of its own (this test's transaction
    would roll a deletion back)."""
    result = run_python(
        "import django; django.setup()\n"
        "from shared_apps.accounts.models import User\n"
        "from shared_apps.tenants.models import Company\n"
        "from shared_apps.tenants.services import company_delete\n"
        f"c = Company.objects.filter(subdomain={subdomain!r}).first()\n"
        "if c is not None: company_delete(company=c)\n"
        f"User.objects.filter(email={email!r}).delete()\n"
    )
    assert result.returncode == 0, result.stderr


def test_email_signup_to_company_host(server: AppServer, mail_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    suffix = uuid.uuid4().hex[:6]
    email = f"newcomer-{suffix}@example.test"
    # The subdomain is suggested from the company name: Cyrillic transliterated, the legal
    # form left out.
    company_name = f"Нюкъмър {suffix} ООД"
    subdomain = f"nyukamar-{suffix}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(locale="en-GB")
            # Any console error fails the test: a CSP violation (a form posted or redirected
            # to a host form-action does not allow, an inline style) is one in Chromium.
            errors: list[str] = []
            page.on(
                "console",
                lambda m: (
                    errors.append(f"{m.text} ({m.location.get('url')})")
                    if m.type == "error"
                    else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            # sign up on the public host
            page.goto(server.url("localhost", "/"))
            page.click("text=Start free trial")
            page.wait_for_url(re.compile(r"/accounts/signup/"))
            page.fill("input[name=full_name]", "Nina Newcomer")
            page.fill("input[name=email]", email)
            page.fill("input[name=password1]", "a long enough passphrase 42")
            page.fill("input[name=password2]", "a long enough passphrase 42")
            page.click("main form [type=submit]")
            page.wait_for_load_state()
            # the verification email arrives; its link confirms the address
            page.goto(_verification_link(mail_dir, server.port))
            page.click("main form [type=submit]")
            page.wait_for_url(re.compile(r"/welcome/"))
            # onboarding: the person is greeted by name; typing the company name fills in
            # a subdomain (the page's script asks the server for a free one)
            assert page.inner_text(".who") == "Nina Newcomer"
            page.fill("input[name=name]", company_name)
            page.wait_for_function(
                "v => document.querySelector('input[name=subdomain]').value === v",
                arg=subdomain,
                timeout=10_000,
            )
            page.wait_for_selector("#subdomain-status.ok")
            page.click("main form [type=submit]")
            # handed over to the company host, signed in there
            page.wait_for_url(re.compile(rf"^http://{subdomain}\.localhost:{server.port}/$"))
            assert company_name in page.content()
            # the welcome email's link works on this port (not the default 8000)
            welcome = re.search(
                rf"http://localhost:{server.port}/go/{subdomain}/", _mail_text(mail_dir)
            )
            assert welcome, _mail_text(mail_dir)[-2000:]
            page.goto(welcome.group(0))
            page.wait_for_url(re.compile(rf"^http://{subdomain}\.localhost:{server.port}/$"))
            browser.close()
        assert errors == []
    finally:
        _cleanup(subdomain, email)
