"""Moving a deal on the board: the happy path, undo, and every refusal (nothing changes)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Deal, Pipeline, Stage
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.web.board.helpers import put_deal, signed_in, stage

pytestmark = pytest.mark.django_db

MOVE = "/board/move/"
HX = {"HTTP_HX_REQUEST": "true"}


def _post(client: Client, deal: Deal, target: Stage, version: int | None = None, **extra: str):
    data = {"deal": deal.pk, "stage": target.pk, "version": version or deal.version, **extra}
    return client.post(MOVE, data, **HX)  # type: ignore[arg-type]


def _moves(deal: Deal) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="crm.deal", object_id=str(deal.pk), action="crm.deal.stage_moved"
        ).order_by("id")
    )


def test_url_name() -> None:
    assert reverse("crm:board_move") == MOVE


def test_move_updates_deal_audit_and_both_columns(in_alpha: Company, member: User) -> None:
    lead, qualified = stage("Lead"), stage("Qualified")
    deal = put_deal("Mover", lead, amount="300")
    put_deal("Stayer", lead, amount="20")
    before = deal.stage_changed_at

    response = _post(signed_in(member), deal, qualified)

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage == qualified
    assert deal.version == 2
    assert before is not None
    assert deal.stage_changed_at is not None
    assert deal.stage_changed_at > before
    [event] = _moves(deal)
    assert event.actor_id == member.pk
    assert event.changes["stage"] == [lead.pk, qualified.pk]
    html = response.content.decode()
    # the card leaves its column and lands on top of the other one, with its new version
    assert f'id="deal-{deal.pk}" hx-swap-oob="delete"' in html
    assert f'hx-swap-oob="afterbegin:#cards-{qualified.pk}"' in html
    assert 'name="version" value="2"' in html
    # both column heads are re-rendered with their new counts and sums
    assert f'id="col-head-{lead.pk}" hx-swap-oob="true"' in html
    assert f'id="col-head-{qualified.pk}" hx-swap-oob="true"' in html
    assert "20,00\u00a0€" in html  # money as the lists write it
    assert "300,00\u00a0€" in html
    # a toast with an undo back to Lead
    assert 'hx-swap-oob="innerHTML:#board-toast"' in html
    assert "data-board-undo" in html
    assert f'name="stage" value="{lead.pk}"' in html


def test_undo_moves_back_and_is_audited(in_alpha: Company, member: User) -> None:
    lead, won = stage("Lead"), stage("Won")
    deal = put_deal("Round trip", lead)
    client = signed_in(member)
    assert _post(client, deal, won).status_code == 200
    deal.refresh_from_db()
    assert deal.status == "won"

    response = _post(client, deal, lead, version=deal.version, undo="1")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.version) == (lead, "open", 3)
    assert [e.changes["stage"] for e in _moves(deal)] == [[lead.pk, won.pk], [won.pk, lead.pk]]
    assert "data-board-undo" not in response.content.decode()  # no undo of an undo


def test_stale_version_is_refused(in_alpha: Company, member: User) -> None:
    lead, qualified = stage("Lead"), stage("Qualified")
    deal = put_deal("Edited elsewhere", lead)
    Deal.objects.filter(pk=deal.pk).update(version=2)

    response = _post(signed_in(member), deal, qualified, version=1)

    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Edited elsewhere" in html
    deal.refresh_from_db()
    assert deal.stage == lead
    assert deal.version == 2
    assert _moves(deal) == []


def test_stage_of_another_pipeline_is_refused(in_alpha: Company, member: User) -> None:
    other = Pipeline.objects.create(name="Partners")
    foreign = Stage.objects.create(pipeline=other, name="Intro", position=1)
    deal = put_deal("Stay home", stage("Lead"))

    response = _post(signed_in(member), deal, foreign)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")
    assert deal.version == 1
    assert _moves(deal) == []


def test_deleted_and_unknown_deals_are_refused(in_alpha: Company, member: User) -> None:
    from django.utils import timezone

    deal = put_deal("Binned", stage("Lead"), deleted_at=timezone.now())
    client = signed_in(member)
    response = _post(client, deal, stage("Qualified"))
    assert response.status_code == 404
    assert 'role="alert"' in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")
    missing = client.post(MOVE, {"deal": 999999, "stage": stage("Lead").pk, "version": 1}, **HX)  # type: ignore[arg-type]
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "data",
    [{}, {"deal": "x", "stage": "1", "version": "1"}, {"deal": "1", "stage": "1", "version": "0"}],
)
def test_bad_input_is_400(in_alpha: Company, member: User, data: dict[str, str]) -> None:
    response = signed_in(member).post(MOVE, data, **HX)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_viewer_cannot_move(in_alpha: Company, viewer: User) -> None:
    deal = put_deal("Hands off", stage("Lead"))
    response = _post(signed_in(viewer), deal, stage("Qualified"))
    assert response.status_code == 403
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")
    assert deal.version == 1
    assert _moves(deal) == []


def test_get_is_not_allowed(in_alpha: Company, member: User) -> None:
    assert signed_in(member).get(MOVE).status_code == 405


def test_without_javascript_the_form_redirects_back_with_a_message(
    in_alpha: Company, member: User
) -> None:
    deal = put_deal("Plain form", stage("Lead"), owner=member)
    client = signed_in(member)
    data = {"deal": deal.pk, "stage": stage("Proposal").pk, "version": 1, "owner": "mine"}
    response = client.post(MOVE, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/board/?pipeline=")
    assert "owner=mine" in response["Location"]
    deal.refresh_from_db()
    assert deal.stage == stage("Proposal")
    page = client.get(response["Location"]).content.decode()
    assert "Plain form" in page

    stale = client.post(MOVE, {**data, "stage": stage("Lead").pk})  # version 1 is stale now
    assert stale.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stage("Proposal")


def test_move_to_the_same_stage_changes_nothing(in_alpha: Company, member: User) -> None:
    deal = put_deal("Same", stage("Lead"))
    response = _post(signed_in(member), deal, stage("Lead"))
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.version == 1
    assert _moves(deal) == []
