"""In a real Chromium (strict CSP, the vendored board script): a deal moved to the lost
stage with the card's "Move to…" control is not moved until the member says why; the small
form in the board's message area takes the focus, and submitting it moves the card and
saves the reason. Any console error (a CSP violation included) fails the test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.browser.test_crm_flow import PASSWORD, TIMEOUT_MS, Tenant, server, tenant
from tests.processes import run_in_django
from tests.servers import AppServer

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error

__all__ = ["server", "tenant"]  # fixtures shared with the CRM flow test

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


def _deal_put(subdomain: str) -> dict[str, Any]:
    """A deal in the first stage; the lost stage's id; the company's first lost reason."""
    code = """
        from django_tenants.utils import schema_context
        from shared_apps.tenants.models import Company
        from tenant_apps.crm.models import Deal, LostReason, Pipeline

        company = Company.objects.get(subdomain=subdomain)
        with schema_context(company.schema_name):
            pipeline = Pipeline.objects.get(is_default=True)
            first = pipeline.stages.order_by("position").first()
            lost = pipeline.stages.get(is_lost=True)
            deal = Deal.objects.create(name="Дроп", pipeline=pipeline, stage=first)
            reason = LostReason.objects.order_by("position").first()
            print(json.dumps({
                "deal": deal.pk, "first": first.pk, "lost": lost.pk, "reason": reason.pk,
            }))
    """
    return dict(run_in_django(code, subdomain=subdomain))


def _deal_get(subdomain: str, pk: int) -> dict[str, Any]:
    code = """
        from django_tenants.utils import schema_context
        from shared_apps.tenants.models import Company
        from tenant_apps.crm.models import Deal

        company = Company.objects.get(subdomain=subdomain)
        with schema_context(company.schema_name):
            deal = Deal.objects.get(pk=pk)
            print(json.dumps({
                "stage": deal.stage_id,
                "status": deal.status,
                "reason": deal.lost_reason_choice_id,
                "details": deal.lost_reason,
            }))
    """
    return dict(run_in_django(code, subdomain=subdomain, pk=pk))


def test_move_to_lost_asks_why_then_moves(server: AppServer, tenant: Tenant) -> None:
    from playwright.sync_api import expect, sync_playwright

    ids = _deal_put(tenant.subdomain)
    deal, first, lost = ids["deal"], ids["first"], ids["lost"]
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # the question is a 400 on purpose (nothing moved); Chromium logs every 4xx load
        expected = "status of 400" in message.text and "/board/move/" in str(message.location)
        if message.type == "error" and not expected:
            errors.append(f"console: {message.text} ({message.location.get('url') or ''})")

    def on_page_error(error: Error) -> None:
        errors.append(f"pageerror: {error}")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        expect.set_options(timeout=TIMEOUT_MS)
        try:
            page = browser.new_page(locale="en-GB")
            page.set_default_timeout(TIMEOUT_MS)
            page.on("console", on_console)
            page.on("pageerror", on_page_error)
            sign_in(page, tenant.url(server, "/accounts/login/"), tenant.member_email, PASSWORD)
            page.wait_for_url(tenant.url(server, "/"))
            page.goto(tenant.url(server, "/board/"))

            # the board has no columns for closed stages: "Move to…" is the way to Lost
            card = page.locator(f"#deal-{deal}")
            card.locator("summary").click()
            card.locator("select[name=stage]").select_option(str(lost))
            with page.expect_response(
                lambda r: r.url.endswith("/board/move/") and r.request.method == "POST"
            ) as asked:
                card.locator("form[data-board-move] button[type=submit]").click()
            assert asked.value.status == 400
            # not moved; the question has the focus
            expect(page.locator(f"#cards-{first} > #deal-{deal}")).to_be_visible()
            select = page.locator("#board-toast form[data-lost-reason] select")
            expect(select).to_be_focused()

            select.select_option(str(ids["reason"]))
            page.fill("#board-toast input[name=lost_reason]", "chose a cheaper offer")
            with page.expect_response(
                lambda r: r.url.endswith("/board/move/") and r.request.method == "POST"
            ) as moved:
                page.click("#board-toast form[data-lost-reason] button[type=submit]")
            assert moved.value.status == 200
            expect(page.locator(f"#cards-{first} > #deal-{deal}")).to_have_count(0)
            expect(page.locator("#board-toast form[data-board-undo]")).to_have_count(1)
        finally:
            expect.set_options(timeout=5_000)
            browser.close()

    assert _deal_get(tenant.subdomain, deal) == {
        "stage": lost,
        "status": "lost",
        "reason": ids["reason"],
        "details": "chose a cheaper offer",
    }
    assert errors == []
