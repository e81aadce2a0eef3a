"""Every page opens in a real Chromium under the Content Security Policy (the one every
environment sends: saas/settings/headers.py) without a violation or any other console error.

A company owner walks every parameterless GET page of the company host (CRM lists and forms,
settings, team, security, billing, sign-in, two-factor set-up with its QR code and passkey
pages, sessions); a platform superuser walks the public host and the Django admin (index,
every model's list, add and change forms). Violations are caught twice: as Chromium's console
errors and through `securitypolicyviolation` events recorded by an init script. A deliberate
inline style first proves the detector sees one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.processes import run_in_django
from tests.saas.url_walk import walk
from tests.servers import AppServer, app_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Error, Page

PASSWORD = "a long enough passphrase 42"
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]

# Not pages: downloads, POST-only actions, sign-out, and redirects to Stripe (no network).
SKIP = (
    "/export/",
    "/download/",
    "/accounts/logout/",
    "/board/move/",
    "/read-all/",
    "/i18n/setlang/",
    "/billing/subscribe/",
    "/billing/checkout/",
    "/billing/change/",
    "/billing/cancel/",
    "/billing/resume/",
    "/billing/portal/",
    "/welcome/check/",
    "/login/callback/",
    "/login/token/",
    "/google/login/",
    "/microsoft/login/",
    "/github/login/",
)
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


def _pages(urlconf: str) -> list[str]:
    paths = {r.path for r in walk(urlconf) if "<" not in r.pattern and "(?P" not in r.pattern}
    return sorted(p for p in paths if not any(skip in p for skip in SKIP))


@dataclass(frozen=True)
class People:
    subdomain: str
    owner_email: str
    admin_email: str
    company_pk: int


@pytest.fixture
def people(db: None) -> Iterator[People]:
    suffix = uuid.uuid4().hex[:6]
    subdomain = f"csp-{suffix}"
    owner, admin = f"csp-owner-{suffix}@example.test", f"csp-admin-{suffix}@example.test"
    create = """
        from allauth.account.models import EmailAddress
        from shared_apps.accounts.models import User
        from shared_apps.tenants.services import company_provision

        company = company_provision(name="CSP Walk Ltd", subdomain=subdomain, owner_email=owner)
        user = User.objects.get(email=owner)
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=owner, defaults={"primary": True, "verified": True}
        )
        staff = User.objects.create_superuser(email=admin, password=password)
        EmailAddress.objects.create(user=staff, email=admin, primary=True, verified=True)
        print(json.dumps(company.pk))
    """
    remove = """
        from shared_apps.accounts.models import User
        from shared_apps.tenants.models import Company
        from shared_apps.tenants.services import company_delete

        company = Company.objects.filter(subdomain=subdomain).first()
        if company is not None:
            company_delete(company=company)
        User.objects.filter(email__in=emails).delete()
        print("null")
    """
    try:
        pk = run_in_django(create, subdomain=subdomain, owner=owner, admin=admin, password=PASSWORD)
        yield People(subdomain, owner, admin, int(pk))
    finally:
        run_in_django(remove, subdomain=subdomain, emails=[owner, admin])


@pytest.fixture
def server(people: People) -> Iterator[AppServer]:
    with app_server(CELERY_TASK_ALWAYS_EAGER="true") as running:
        yield running


@dataclass
class Walk:
    page: Page
    errors: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    current: str = ""

    def visit(self, url: str) -> None:
        from playwright.sync_api import Error

        self.current = url
        for attempt in (1, 2):
            try:
                response = self.page.goto(url, wait_until="load")
                break
            except Error as error:
                if "ERR_HTTP_RESPONSE_CODE_FAILURE" in str(error):
                    # An error status with an empty body: Chromium shows its own error page.
                    self.statuses[url] = -1
                    self.page.wait_for_timeout(300)
                    return
                if "interrupted by another navigation" not in str(error) or attempt == 2:
                    raise
                self.page.wait_for_timeout(300)
        self.statuses[url] = response.status if response else 0
        self.page.wait_for_timeout(100)  # deferred scripts and late violations
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.errors.append(f"violation: {violation} ({url})")


def _walker(browser: Browser) -> Walk:
    page = browser.new_page(locale="en-GB")
    page.set_default_timeout(TIMEOUT_MS)
    page.add_init_script(RECORD_VIOLATIONS)
    walker = Walk(page)

    def on_console(message: ConsoleMessage) -> None:
        source = message.location.get("url") or ""
        # The status of the page itself (a 404 for a page that needs data) is in `statuses`;
        # any other failed load (a stylesheet, a script) is an error.
        # Django's bare 404 page links no icon, so Chromium asks for /favicon.ico.
        own_status = message.text.startswith("Failed to load resource") and (
            source in (page.url, walker.current) or source.endswith("/favicon.ico")
        )
        if message.type == "error" and not own_status:
            walker.errors.append(f"console: {message.text} ({source} on {page.url})")

    def on_page_error(error: Error) -> None:
        walker.errors.append(f"pageerror: {error} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    return walker


def _sign_in(walker: Walk, url: str, email: str) -> None:
    sign_in(walker.page, url, email, PASSWORD)


def test_the_detector_sees_a_violation(server: AppServer) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            walker = _walker(browser)
            walker.visit(server.url("localhost", "/"))
            assert walker.errors == []
            walker.page.evaluate(
                "const s = document.createElement('style');"
                "s.textContent = 'body { color: red }'; document.head.appendChild(s)"
            )
            walker.visit(server.url("localhost", "/pricing/"))
            walker.page.evaluate("document.body.setAttribute('style', 'color: red')")
            walker.page.wait_for_timeout(200)
            walker.visit(server.url("localhost", "/"))  # the recorder lives per document
        finally:
            browser.close()
    console = [e for e in walker.errors if e.startswith("console:")]
    assert any("Content Security Policy" in e and "inline style" in e for e in console), console


def test_every_company_page_under_the_csp(server: AppServer, people: People) -> None:
    from playwright.sync_api import sync_playwright

    host = f"{people.subdomain}.localhost"
    pages = _pages("saas.urls_tenant")
    assert "/accounts/2fa/totp/activate/" in pages
    assert "/board/" in pages
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            walker = _walker(browser)
            _sign_in(walker, server.url(host, "/accounts/login/"), people.owner_email)
            assert walker.page.url == server.url(host, "/")
            for path in pages:
                walker.visit(server.url(host, path))
            # The TOTP set-up page shows its QR code as a data: image (img-src data:), after
            # the password is asked again.
            walker.visit(server.url(host, "/accounts/2fa/totp/activate/"))
            if "/accounts/reauthenticate/" in walker.page.url:
                walker.page.fill("input[name=password]", PASSWORD)
                with walker.page.expect_navigation():
                    walker.page.click("main form [type=submit]")
                walker.visit(server.url(host, "/accounts/2fa/totp/activate/"))
            qr = walker.page.locator("main img[src^='data:']")
            assert qr.count() == 1
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
            # Now re-authenticated: the passkey page itself, with allauth's WebAuthn scripts.
            walker.visit(server.url(host, "/accounts/2fa/webauthn/add/"))
            assert walker.page.url == server.url(host, "/accounts/2fa/webauthn/add/")
            assert walker.page.locator("script[src*='mfa/js/webauthn']").count() >= 1
            assert walker.page.evaluate("typeof window.allauth") == "object"
        finally:
            browser.close()
    assert walker.errors == [], "\n".join(walker.errors)
    server_errors = {url: status for url, status in walker.statuses.items() if status >= 500}
    assert server_errors == {}


def test_every_public_and_admin_page_under_the_csp(server: AppServer, people: People) -> None:
    from django.contrib import admin
    from playwright.sync_api import sync_playwright

    registry = admin.site._registry
    admin_pages = ["/admin/"]
    for model, model_admin in registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        admin_pages.append(base)
        if model_admin.has_add_permission(_superuser_request()):
            admin_pages.append(f"{base}add/")
    admin_pages.append(f"/admin/tenants/company/{people.company_pk}/change/")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            walker = _walker(browser)
            for path in ("/", "/pricing/", "/accounts/login/", "/accounts/signup/"):
                walker.visit(server.url("localhost", path))
            _sign_in(walker, server.url("localhost", "/accounts/login/"), people.admin_email)
            public = [p for p in _pages("saas.urls_public") if not p.startswith("/admin/")]
            for path in public + admin_pages:
                walker.visit(server.url("localhost", path))
            # A change form with its widgets and inlines, saved through the form.
            walker.visit(
                server.url("localhost", f"/admin/tenants/company/{people.company_pk}/change/")
            )
            assert walker.page.locator("#company_form").count() == 1
        finally:
            browser.close()
    assert walker.errors == [], "\n".join(walker.errors)
    server_errors = {url: status for url, status in walker.statuses.items() if status >= 500}
    assert server_errors == {}
    assert all(walker.statuses[server.url("localhost", p)] == 200 for p in admin_pages[:2])


def _superuser_request() -> Any:
    from types import SimpleNamespace

    user = SimpleNamespace(is_active=True, is_staff=True, is_superuser=True)
    user.has_perm = lambda *a, **k: True
    return SimpleNamespace(user=user)
