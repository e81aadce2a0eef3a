"""Why a deal was lost: asked on the board (drop or "Move to…"), on the deal page, kept in
CRM settings, reported on the dashboard; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.dashboard import dashboard_cache_bump, lost_by_reason
from tenant_apps.crm.models import Deal, LostReason
from tenant_apps.crm.provisioning import default_pipeline_create
from tenant_apps.crm.services.deals import deal_move_stage
from tenant_apps.crm.services.lost_reasons import (
    DEFAULT_LOST_REASONS,
    lost_reason_create,
    lost_reason_delete,
    lost_reasons_seed,
)
from tenant_apps.history.models import AuditEvent
from tests.conftest import host_client
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.web.board.helpers import put_deal, stage

pytestmark = pytest.mark.django_db

MOVE = "/board/move/"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def reasons(in_alpha: Company) -> list[LostReason]:
    lost_reasons_seed(language="en")  # provisioning seeds them (in the owner's language)
    return list(LostReason.objects.filter(archived=False))


def client_for(user: User, language: str = "en") -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _unchanged(deal: Deal) -> None:
    version = deal.version
    deal.refresh_from_db()
    assert (deal.status, deal.version, deal.lost_reason_choice_id) == ("open", version, None)


# --- service -----------------------------------------------------------------------------


def test_move_to_lost_needs_a_reason_when_the_company_keeps_a_list(
    reasons: list[LostReason], member: User
) -> None:
    deal = put_deal("D", stage("Proposal"))
    with pytest.raises(ValidationError) as refused:
        deal_move_stage(deal=deal, stage=stage("Lost"), actor=member, lost_reason="cheap")
    assert refused.value.message_dict == {"lost_reason_choice": ["Choose why the deal was lost."]}
    _unchanged(deal)

    moved = deal_move_stage(
        deal=deal,
        stage=stage("Lost"),
        actor=member,
        lost_reason_choice=reasons[0],
        lost_reason=" too dear ",
    )
    assert (moved.status, moved.lost_reason_choice, moved.lost_reason) == (
        "lost",
        reasons[0],
        "too dear",
    )
    event = AuditEvent.objects.filter(action="crm.deal.stage_moved").latest("id")
    assert event.changes["lost_reason_choice"] == [None, reasons[0].pk]

    # reopened: the reason goes (the audit row keeps it)
    reopened = deal_move_stage(deal=moved, stage=stage("Lead"), actor=member)
    assert reopened.status == "open"
    assert (reopened.lost_reason_choice, reopened.lost_reason) == (None, "")


def test_without_a_list_no_reason_is_needed(in_alpha: Company, member: User) -> None:
    LostReason.objects.all().delete()
    deal = put_deal("D", stage("Proposal"))
    assert deal_move_stage(deal=deal, stage=stage("Lost"), actor=member).status == "lost"


def test_archived_reason_is_refused(reasons: list[LostReason], admin: User, member: User) -> None:
    used = put_deal("Old loss", stage("Lost"), lost_reason_choice=reasons[0])
    assert lost_reason_delete(reason=reasons[0], actor=admin) is False  # in use: archived
    assert LostReason.objects.get(pk=reasons[0].pk).archived
    used.refresh_from_db()
    assert used.lost_reason_choice_id == reasons[0].pk
    deal = put_deal("D", stage("Proposal"))
    with pytest.raises(ValidationError):
        deal_move_stage(
            deal=deal,
            stage=stage("Lost"),
            actor=member,
            lost_reason_choice=LostReason.objects.get(pk=reasons[0].pk),
        )
    _unchanged(deal)
    assert lost_reason_delete(reason=reasons[1], actor=admin) is True  # unused: deleted


def test_provisioning_seeds_the_defaults_in_the_owners_language(in_alpha: Company) -> None:
    LostReason.objects.all().delete()
    lost_reasons_seed(language="bg")
    names = list(LostReason.objects.values_list("name", flat=True))
    assert len(names) == len(DEFAULT_LOST_REASONS)
    assert "Цена" in names
    assert "Друго" in names
    lost_reasons_seed(language="en")  # once only
    assert LostReason.objects.count() == len(DEFAULT_LOST_REASONS)


def test_company_provisioning_calls_the_seed(in_alpha: Company, owner: User) -> None:
    from tenant_apps.crm.models import Pipeline

    Deal.objects.all().delete()
    Pipeline.objects.all().delete()  # stages go with their pipeline
    LostReason.objects.all().delete()
    default_pipeline_create(company=in_alpha, owner=owner, language="en")
    assert LostReason.objects.count() == len(DEFAULT_LOST_REASONS)


# --- board -------------------------------------------------------------------------------


def _move(client: Client, deal: Deal, **extra: object) -> Any:
    data = {"deal": deal.pk, "stage": stage("Lost").pk, "version": deal.version, **extra}
    return client.post(MOVE, data, headers={"HX-Request": "true"})


def test_board_drop_on_lost_asks_why_then_moves(reasons: list[LostReason], member: User) -> None:
    deal = put_deal("Drop me", stage("Proposal"))
    client = client_for(member)

    asked = _move(client, deal)

    assert asked.status_code == 400
    html = asked.content.decode()
    assert 'hx-swap-oob="innerHTML:#board-toast"' in html
    assert "data-lost-reason" in html
    assert 'name="lost_reason_choice"' in html
    assert all(f'value="{r.pk}"' in html for r in reasons)
    assert "<script" not in html
    _unchanged(deal)

    done = _move(client, deal, lost_reason_choice=reasons[1].pk, lost_reason="went quiet")

    assert done.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason_choice, deal.lost_reason) == (
        "lost",
        reasons[1],
        "went quiet",
    )


def test_board_without_javascript_gets_a_page_with_the_question(
    reasons: list[LostReason], member: User
) -> None:
    deal = put_deal("No JS", stage("Proposal"))
    response = client_for(member).post(
        MOVE, {"deal": deal.pk, "stage": stage("Lost").pk, "version": deal.version}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Mark as lost</h1>" in html
    assert 'action="/board/move/"' in html
    _unchanged(deal)


def test_reason_of_another_company_is_refused(
    reasons: list[LostReason], member: User, beta: Company
) -> None:
    with schema_context("beta"):
        lost_reasons_seed(language="en")
        foreign = LostReason.objects.create(name="Beta only reason", position=50)
    LostReason.objects.filter(pk=foreign.pk).delete()  # the same id must not exist in alpha
    deal = put_deal("D", stage("Proposal"))

    response = _move(client_for(member), deal, lost_reason_choice=foreign.pk)

    assert response.status_code == 400
    assert "Choose one of the offered reasons." in response.content.decode()
    _unchanged(deal)
    page = client_for(member).post(
        f"/board/deals/{deal.pk}/lost/", {"version": deal.version, "lost_reason_choice": "x"}
    )
    assert page.status_code == 400
    _unchanged(deal)


def test_refusal_in_bulgarian(reasons: list[LostReason], member: User) -> None:
    deal = put_deal("D", stage("Proposal"))
    html = _move(client_for(member, "bg"), deal).content.decode()
    assert "Защо е загубена сделката?" in html


# --- deal page ---------------------------------------------------------------------------


def test_deal_page_mark_as_lost(reasons: list[LostReason], member: User, viewer: User) -> None:
    deal = put_deal("Page deal", stage("Negotiation"))
    client = client_for(member)
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    assert f'href="/board/deals/{deal.pk}/lost/"' in page
    form = client.get(f"/board/deals/{deal.pk}/lost/")
    assert form.status_code == 200
    assert client_for(viewer).get(f"/board/deals/{deal.pk}/lost/").status_code == 403

    missing = client.post(f"/board/deals/{deal.pk}/lost/", {"version": deal.version})
    assert missing.status_code == 400
    assert "Choose why the deal was lost." in missing.content.decode()
    _unchanged(deal)

    done = client.post(
        f"/board/deals/{deal.pk}/lost/",
        {"version": deal.version, "lost_reason_choice": reasons[2].pk, "lost_reason": "later"},
    )
    assert done.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.stage, deal.lost_reason_choice) == ("lost", stage("Lost"), reasons[2])
    shown = client.get(f"/deals/{deal.pk}/").content.decode()
    assert reasons[2].name in shown
    assert "later" in shown


# --- settings ----------------------------------------------------------------------------


def test_settings_list_add_rename_archive(
    reasons: list[LostReason], admin: User, member: User
) -> None:
    client = client_for(admin)
    page = client.get("/settings/crm/lost-reasons/")
    assert page.status_code == 200
    assert all(r.name in page.content.decode() for r in reasons)
    assert client_for(member).get("/settings/crm/lost-reasons/").status_code == 403

    created = client.post("/settings/crm/lost-reasons/new/", {"new-name": "Bad fit"})
    assert created.status_code == 302
    added = LostReason.objects.get(name="Bad fit")
    duplicate = client.post("/settings/crm/lost-reasons/new/", {"new-name": "bad FIT"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.content.decode()
    empty = client.post("/settings/crm/lost-reasons/new/", {"new-name": "  "})
    assert empty.status_code == 400

    renamed = client.post(
        f"/settings/crm/lost-reasons/{added.pk}/", {f"reason-{added.pk}-name": "Poor fit"}
    )
    assert renamed.status_code == 302
    assert LostReason.objects.get(pk=added.pk).name == "Poor fit"
    assert client.post(f"/settings/crm/lost-reasons/{added.pk}/delete/").status_code == 302
    assert not LostReason.objects.filter(pk=added.pk).exists()


# the role check and one for the reasons with their deal counts
SETTINGS_PAGE_QUERIES = PAGE_BASELINE + 2


@pytest.mark.parametrize("extra", [0, 8])
def test_settings_page_queries(
    reasons: list[LostReason],
    admin: User,
    extra: int,
    django_assert_num_queries: Callable[..., object],
) -> None:
    for i in range(extra):
        reason = lost_reason_create(actor=admin, name=f"Extra {i}")
        put_deal(f"Lost {i}", stage("Lost"), lost_reason_choice=reason)
    client = client_for(admin)
    client.get("/settings/crm/lost-reasons/")
    with page_queries(SETTINGS_PAGE_QUERIES):
        assert client.get("/settings/crm/lost-reasons/").status_code == 200


# --- dashboard ---------------------------------------------------------------------------


def test_dashboard_lost_deals_by_reason_this_quarter(
    reasons: list[LostReason], member: User
) -> None:
    put_deal("L1", stage("Lost"), lost_reason_choice=reasons[0], amount="10")
    put_deal("L2", stage("Lost"), lost_reason_choice=reasons[0], amount="5")
    put_deal("L3", stage("Lost"), lost_reason_choice=reasons[1])
    put_deal("L4", stage("Lost"))
    put_deal("Won", stage("Won"))

    from django.utils import timezone

    rows = lost_by_reason(now=timezone.now())
    assert [(r.reason, r.count) for r in rows] == [
        (reasons[0].name, 2),
        (reasons[1].name, 1),
        ("", 1),
    ]
    dashboard_cache_bump()
    html = client_for(member).get("/").content.decode()
    section = html.split('id="dash-lost"')[1].split("</section>")[0]
    assert reasons[0].name in section
    assert "No reason given" in section
    assert "<svg" not in section or "<script" not in section


def test_deal_edit_form_refuses_a_reason_that_is_not_offered(
    reasons: list[LostReason], member: User
) -> None:
    deal = put_deal("Edited", stage("Proposal"))
    form = {
        "version": str(deal.version),
        "name": "Edited",
        "pipeline": str(deal.pipeline_id),
        "stage": str(stage("Lost").pk),
        "amount": "100",
        "currency": "EUR",
        "status": "open",
        "owner": "",
    }
    client = client_for(member)
    missing = client.post(f"/deals/{deal.pk}/edit/", form)
    assert missing.status_code == 400
    assert "Choose why the deal was lost." in missing.content.decode()
    foreign = client.post(f"/deals/{deal.pk}/edit/", {**form, "lost_reason_choice": "987654"})
    assert foreign.status_code == 400
    assert "Choose one of the offered reasons." in foreign.content.decode()
    _unchanged(deal)
    saved = client.post(f"/deals/{deal.pk}/edit/", {**form, "lost_reason_choice": reasons[3].pk})
    assert saved.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason_choice) == ("lost", reasons[3])
