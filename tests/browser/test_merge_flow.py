"""An owner merges a fresh duplicate into a complete contact in a real Chromium: "Merge
with…" on the duplicate's page lists the likely duplicate (htmx, under the strict CSP) and
searches as they type; the merge page preselects the complete contact and its values, the
review lists the one value dropped, and the merge keeps every other value. Any error in the
page's console (a CSP violation included) fails the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.browser.test_crm_flow import PASSWORD, TIMEOUT_MS, _cleanup
from tests.processes import run_in_django
from tests.servers import app_server

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error

pytestmark = [
    pytest.mark.slow,
    # everything is committed and read by other processes (see test_crm_flow)
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


def _provision(subdomain: str, admin: str) -> dict[str, Any]:
    """A committed company, its owner who signs in by password, a complete contact and a
    fresh duplicate of it (same email address, a different source)."""
    code = """
        from allauth.account.models import EmailAddress
        from django_tenants.utils import schema_context
        from shared_apps.accounts.models import User
        from shared_apps.tenants.services import company_provision
        from tenant_apps.crm.services.contacts import contact_create
        from tenant_apps.crm.services.organizations import organization_create

        company = company_provision(name="Merge Ltd", subdomain=subdomain, owner_email=admin)
        user = User.objects.get(email=admin)
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=admin, defaults={"primary": True, "verified": True}
        )
        with schema_context(company.schema_name):
            org = organization_create(actor=user, name="Acme")
            complete = contact_create(
                actor=user, first_name="Ann", last_name="Lee", job_title="CTO",
                organization=org, owner=user, source="Fair", emails=["ann@acme.test"],
            )
            fresh = contact_create(
                actor=user, last_name="Lee", source="Web", emails=["ann@acme.test"]
            )
            print(json.dumps({"complete": complete.pk, "fresh": fresh.pk}))
    """
    return dict(run_in_django(code, subdomain=subdomain, admin=admin, password=PASSWORD))


def _saved(subdomain: str, pks: dict[str, Any]) -> dict[str, Any]:
    code = """
        from django_tenants.utils import schema_context
        from shared_apps.tenants.models import Company
        from tenant_apps.crm.models import Contact

        company = Company.objects.get(subdomain=subdomain)
        with schema_context(company.schema_name):
            kept = Contact.objects.select_related("organization").get(pk=pks["complete"])
            gone = Contact.objects.get(pk=pks["fresh"])
            print(json.dumps({
                "kept": [kept.first_name, kept.job_title, kept.source, kept.organization.name,
                         kept.deleted_at is None],
                "gone_deleted": gone.deleted_at is not None,
            }))
    """
    return dict(run_in_django(code, subdomain=subdomain, pks=pks))


@pytest.fixture
def company(db: None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    suffix = uuid.uuid4().hex[:6]
    subdomain, admin = f"merge-{suffix}", f"merge-admin-{suffix}@example.test"
    try:
        yield subdomain, admin, _provision(subdomain, admin)
    finally:
        _cleanup(subdomain, admin)


def test_merge_with_picker_preselection_review_and_merge(
    company: tuple[str, str, dict[str, Any]],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    subdomain, admin, pks = company
    complete, fresh = pks["complete"], pks["fresh"]
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url') or ''})")

    def on_page_error(error: Error) -> None:
        errors.append(f"pageerror: {error}")

    with app_server() as server, sync_playwright() as pw:

        def url(path: str) -> str:
            return server.url(f"{subdomain}.localhost", path)

        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            page = browser.new_page(locale="en-GB")
            page.set_default_timeout(TIMEOUT_MS)
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            sign_in(page, url("/accounts/login/"), admin, PASSWORD)

            # the duplicate's page: "Merge with…" opens the picker with the likely duplicate
            page.goto(url(f"/contacts/{fresh}/"))
            page.click(".record-merge-picker summary")
            link = page.locator(f"#merge-candidates-list a[href$='/merge/?other={complete}']")
            expect(link).to_have_text("Ann Lee")
            # typing searches instead (a name that matches nothing, then the other one)
            page.fill("#merge-picker-q", "zzqx")
            expect(page.locator("#merge-candidates-list")).to_contain_text("No matching")
            page.fill("#merge-picker-q", "ann")
            expect(link).to_have_text("Ann Lee")
            with page.expect_navigation():
                link.click()

            # preselected: the complete contact stays, each of its values is kept
            expect(page.locator("input[name=survivor][value=other]")).to_be_checked()
            for name in ("first_name", "job_title", "organization", "owner", "source"):
                expect(page.locator(f"input[name=field_{name}][value=other]")).to_be_checked()
            with page.expect_navigation():
                page.click("button:has-text('Review the merge')")
            rows = page.locator("table.merge-dropped tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("Web")
            expect(rows.first).to_contain_text("Fair")
            with page.expect_navigation():
                page.click("button[name=confirm]")
            page.wait_for_url(url(f"/contacts/{complete}/"))
            expect(page.locator(".entry-summary").first).to_contain_text(
                "Merged Lee into this record"
            )
        finally:
            expect.set_options(timeout=5_000)  # Playwright's default, for other tests
            browser.close()

    saved = _saved(subdomain, pks)
    assert saved == {"kept": ["Ann", "CTO", "Fair", "Acme", True], "gone_deleted": True}
    assert errors == []
