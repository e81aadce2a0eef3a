"""A company member signs in on the company host and, in a real Chromium (system package,
Playwright), creates an organization, a contact of it and a deal of both through the forms,
drags the deal's card to the next stage of the board (saved on the server, audited) and finds
the deal again with the Ctrl+K search by a Latin spelling of its Cyrillic name. Any error in
the page's console fails the test."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS, sign_in
from tests.processes import run_in_django
from tests.servers import AppServer, app_server

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, Page

PASSWORD = "a long enough passphrase 42"
TIMEOUT_MS = 10_000

pytestmark = [
    pytest.mark.slow,
    # The company, its member and everything the server saves are committed by other
    # processes; this test reads and removes them from other processes too (run_python), so
    # its own transaction never holds a lock on the company's schema when it is dropped.
    pytest.mark.django_db,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is installed by .ci/run"),
]


@dataclass(frozen=True)
class Tenant:
    subdomain: str
    member_email: str
    owner_email: str
    stages: list[int]  # the default pipeline's stages, in board order

    def url(self, server: AppServer, path: str) -> str:
        return server.url(f"{self.subdomain}.localhost", path)


def _provision(subdomain: str, owner_email: str, member_email: str) -> list[int]:
    """A committed company (schema included) with a member who signs in by password; the
    ids of its default pipeline's stages in board order."""
    code = """
        from allauth.account.models import EmailAddress
        from django_tenants.utils import schema_context
        from shared_apps.accounts.models import User
        from shared_apps.accounts.services import membership_create
        from shared_apps.tenants.services import company_provision
        from tenant_apps.crm.models import Pipeline

        company = company_provision(name="Flow Ltd", subdomain=subdomain, owner_email=owner)
        user = User.objects.create_user(email=member, password=password, full_name="Flow Member")
        EmailAddress.objects.create(user=user, email=member, primary=True, verified=True)
        membership_create(user=user, company=company, role="member", actor=None)
        with schema_context(company.schema_name):
            stages = Pipeline.objects.get(is_default=True).stages.order_by("position")
            print(json.dumps(list(stages.values_list("pk", flat=True))))
    """
    return list(
        run_in_django(
            code, subdomain=subdomain, owner=owner_email, member=member_email, password=PASSWORD
        )
    )


def _cleanup(subdomain: str, *emails: str) -> None:
    """Remove the company (its schema with it) and its users."""
    code = """
        from shared_apps.accounts.models import User
        from shared_apps.tenants.models import Company
        from shared_apps.tenants.services import company_delete

        company = Company.objects.filter(subdomain=subdomain).first()
        if company is not None:
            company_delete(company=company)
        User.objects.filter(email__in=emails).delete()
        print("null")
    """
    run_in_django(code, subdomain=subdomain, emails=list(emails))


def _saved_deal(subdomain: str, name: str) -> dict[str, Any]:
    """The deal as the database has it, its links and its stage moves' audit rows."""
    code = """
        from django_tenants.utils import schema_context
        from shared_apps.tenants.models import Company
        from tenant_apps.crm.models import Deal
        from tenant_apps.history.models import AuditEvent

        company = Company.objects.get(subdomain=subdomain)
        with schema_context(company.schema_name):
            deal = Deal.objects.select_related("pipeline", "organization").get(name=name)
            moves = AuditEvent.objects.filter(
                action="crm.deal.stage_moved", object_type="crm.deal", object_id=str(deal.pk)
            ).order_by("pk")
            print(json.dumps({
                "pk": deal.pk,
                "stage": deal.stage_id,
                "default_pipeline": deal.pipeline.is_default,
                "organization": deal.organization.name if deal.organization else None,
                "contacts": [str(c) for c in deal.contacts.all()],
                "moves": [
                    {"actor": m.actor.email if m.actor else None, "stage": m.changes["stage"]}
                    for m in moves
                ],
            }))
    """
    return dict(run_in_django(code, subdomain=subdomain, name=name))


@pytest.fixture
def tenant(db: None) -> Iterator[Tenant]:
    suffix = uuid.uuid4().hex[:6]
    subdomain = f"flow-{suffix}"
    owner_email = f"flow-owner-{suffix}@example.test"
    member_email = f"flow-member-{suffix}@example.test"
    try:
        stages = _provision(subdomain, owner_email, member_email)
        assert len(stages) >= 2, stages
        yield Tenant(subdomain, member_email, owner_email, stages)
    finally:
        _cleanup(subdomain, owner_email, member_email)


@pytest.fixture
def server(tenant: Tenant) -> Iterator[AppServer]:
    """Started after the company exists and stopped before it is removed."""
    with app_server() as running:
        yield running


def _submit(page: Page) -> None:
    """Submit the record form and wait for the page it leads to."""
    with page.expect_navigation():
        page.click("form.records-fields button[type=submit]")


def _detail_pk(page: Page, plural: str) -> int:
    page.wait_for_url(re.compile(rf"/{plural}/\d+/$"))
    match = re.search(rf"/{plural}/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def test_organization_contact_deal_board_drag_and_search(server: AppServer, tenant: Tenant) -> None:
    from playwright.sync_api import expect, sync_playwright

    organization = "Зорница Трейд ЕООД"
    first_name, last_name = "Мария", "Петрова"
    deal = "Годишен абонамент Щит"
    first_stage, second_stage = tenant.stages[0], tenant.stages[1]
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Every console error counts, a failed load of any asset (the favicon included) too.
        if message.type == "error":
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

            # sign in on the company host through its login form
            sign_in(page, tenant.url(server, "/accounts/login/"), tenant.member_email, PASSWORD)
            page.wait_for_url(tenant.url(server, "/"))

            # 1. an organization, from the list's "New" button
            with page.expect_navigation():
                page.click("nav a[href='/organizations/']")
            with page.expect_navigation():
                page.click("a.list-button.primary")
            page.wait_for_url(re.compile(r"/organizations/new/$"))
            page.fill("input[name=name]", organization)
            page.fill("input[name=city]", "Пловдив")
            _submit(page)
            org_pk = _detail_pk(page, "organizations")
            expect(page.locator("h1")).to_have_text(organization)

            # 2. a contact of it, from the organization's page
            with page.expect_navigation():
                page.click(f"a[href='/contacts/new/?organization={org_pk}']")
            expect(page.locator("select[name=organization]")).to_have_value(str(org_pk))
            page.fill("input[name=first_name]", first_name)
            page.fill("input[name=last_name]", last_name)
            page.fill("input[name=email_0]", "maria.petrova@example.test")
            _submit(page)
            contact_pk = _detail_pk(page, "contacts")
            expect(page.locator("h1")).to_contain_text(last_name)
            expect(page.locator(f".record-fields a[href='/organizations/{org_pk}/']")).to_have_text(
                organization
            )

            # 3. a deal of both, from the contact's page: default pipeline, first stage
            with page.expect_navigation():
                page.click(f"a[href^='/deals/new/?contacts={contact_pk}']")
            expect(page.locator("select[name=organization]")).to_have_value(str(org_pk))
            expect(page.locator("select[name=stage]")).to_have_value(str(first_stage))
            expect(page.locator("select[name=contacts] option:checked")).to_have_attribute(
                "value", str(contact_pk)
            )
            page.fill("input[name=name]", deal)
            page.fill("input[name=amount]", "1200.50")
            _submit(page)
            deal_pk = _detail_pk(page, "deals")
            expect(page.locator("h1")).to_have_text(deal)
            expect(page.locator(f".record a[href='/contacts/{contact_pk}/']")).to_be_visible()

            # 4. the board: drag the card from the first stage's column to the second's
            with page.expect_navigation():
                page.click("nav a[href='/board/']")
            card = page.locator(f"#deal-{deal_pk}")
            expect(page.locator(f"#cards-{first_stage} > #deal-{deal_pk}")).to_be_visible()
            target = page.locator(f"section.board-column[data-stage='{second_stage}']")
            with page.expect_response(
                lambda r: r.url.endswith("/board/move/") and r.request.method == "POST"
            ) as moved:
                card.locator(".deal-card-amount").drag_to(target)
            assert moved.value.status == 200
            expect(page.locator(f"#cards-{second_stage} > #deal-{deal_pk}")).to_be_visible()
            expect(page.locator(f"#cards-{first_stage} > #deal-{deal_pk}")).to_have_count(0)
            expect(page.locator("#board-toast form[data-board-undo]")).to_have_count(1)
            # saved: a fresh board shows it in the new column
            page.reload()
            expect(page.locator(f"#cards-{second_stage} > #deal-{deal_pk}")).to_be_visible()
            expect(page.locator(f"#cards-{first_stage} > #deal-{deal_pk}")).to_have_count(0)

            # 5. Ctrl+K, the name in Latin letters and another case, the hit, the deal's page
            page.keyboard.press("Control+K")
            dialog = page.locator("#search-dialog")
            expect(dialog).to_be_visible()
            expect(page.locator("#search-dialog-q")).to_be_focused()
            page.keyboard.type("ABONAMENT SHT")
            hit = dialog.locator(f"a.search-hit[href='/deals/{deal_pk}/']")
            expect(hit).to_contain_text(deal)
            with page.expect_navigation():
                hit.click()
            page.wait_for_url(tenant.url(server, f"/deals/{deal_pk}/"))
            expect(page.locator("h1")).to_have_text(deal)
        finally:
            expect.set_options(timeout=5_000)  # Playwright's default, for other tests
            browser.close()

    saved = _saved_deal(tenant.subdomain, deal)
    assert saved["pk"] == deal_pk
    assert saved["stage"] == second_stage
    assert saved["default_pipeline"] is True
    assert saved["organization"] == organization
    assert saved["contacts"] == [f"{first_name} {last_name}"]
    assert saved["moves"] == [{"actor": tenant.member_email, "stage": [first_stage, second_stage]}]
    assert errors == []
