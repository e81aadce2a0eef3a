"""The board page: columns, sums per currency, capped pages, the owner filter, stale cards."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.board import Total, column_summaries, cursor_of
from tenant_apps.crm.models import Organization
from tests.tenant_apps.crm.web.board.helpers import put_deal, put_deals, signed_in, stage

pytestmark = pytest.mark.django_db

BOARD = "/board/"


def _columns(response: object) -> dict[str, object]:
    board = response.context["board"]  # type: ignore[attr-defined]
    return {c.stage.name: c for c in board.columns}


def test_url_name() -> None:
    assert reverse("crm:board") == BOARD


def test_columns_count_and_sum_per_currency_eur_first(in_alpha: Company, member: User) -> None:
    lead, won = stage("Lead"), stage("Won")
    put_deal("A", lead, amount="100.25", currency="EUR")
    put_deal("B", lead, amount="50", currency="EUR")
    put_deal("C", lead, amount="70", currency="USD")
    put_deal("D", lead, amount="10", currency="BGN")
    put_deal("Gone", lead, amount="999", deleted_at=timezone.now())
    put_deal("Closed", won, amount="5000")

    response = signed_in(member).get(BOARD)

    assert response.status_code == 200
    columns = list(response.context["board"].columns)
    assert [c.stage.position for c in columns] == [1, 2, 3, 4, 5, 6]  # won and lost too
    by_pos = {c.stage.position: c for c in columns}
    assert by_pos[1].count == 4
    assert by_pos[1].totals == [
        Total("EUR", Decimal("150.25")),
        Total("BGN", Decimal("10")),
        Total("USD", Decimal("70")),
    ]
    assert [c.name for c in by_pos[1].cards] == ["A", "C", "B", "D"]  # amount, largest first
    assert by_pos[2].count == 0
    assert by_pos[2].totals == []
    assert by_pos[5].count == 1
    assert by_pos[5].totals == [Total("EUR", Decimal("5000"))]
    html = response.content.decode()
    assert "Gone" not in html
    assert html.index("150,25\u00a0€") < html.index("10,00\u00a0BGN") < html.index("70,00\u00a0$")


def test_card_shows_organization_owner_close_date_escaped(in_alpha: Company, member: User) -> None:
    org = Organization.objects.create(name="<b>Acme</b>")
    put_deal(
        "<script>alert(1)</script>",
        stage("Lead"),
        owner=member,
        organization=org,
        expected_close_date=datetime.date(2031, 3, 9),
    )
    html = signed_in(member).get(BOARD).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Acme&lt;/b&gt;" in html
    assert member.get_full_name() in html
    assert 'datetime="2031-03-09"' in html


def test_columns_are_capped_and_show_more_pages_through(in_alpha: Company, member: User) -> None:
    lead = stage("Lead")
    deals = put_deals(65, lead)
    client = signed_in(member)

    response = client.get(BOARD)
    column = _columns(response)[lead.name]
    assert column.count == 65  # type: ignore[attr-defined]
    first = [c.id for c in column.cards]  # type: ignore[attr-defined]
    assert len(first) == 30
    assert column.next_after  # type: ignore[attr-defined]
    assert "Show more" in response.content.decode() or "Покажи още" in response.content.decode()

    url = reverse("crm:board_column", args=[lead.pk])
    page2 = client.get(url, {"after": column.next_after}, HTTP_HX_REQUEST="true")  # type: ignore[attr-defined]
    assert page2.status_code == 200
    second = [c.id for c in page2.context["page"].cards]
    assert len(second) == 30
    assert "<html" not in page2.content.decode()  # a fragment for htmx
    page3 = client.get(url, {"after": page2.context["page"].next_after}, HTTP_HX_REQUEST="true")
    third = [c.id for c in page3.context["page"].cards]
    assert len(third) == 5
    assert page3.context["page"].next_after is None
    expected = [d.pk for d in sorted(deals, key=lambda d: (-d.amount, -d.pk))]
    assert first + second + third == expected

    # without htmx the same URL is a whole page
    plain = client.get(url, {"after": column.next_after})  # type: ignore[attr-defined]
    assert "<html" in plain.content.decode()


def test_show_more_ignores_a_bad_cursor_and_unknown_stage(in_alpha: Company, member: User) -> None:
    lead = stage("Lead")
    put_deals(3, lead)
    client = signed_in(member)
    url = reverse("crm:board_column", args=[lead.pk])
    assert len(client.get(url, {"after": "NaN_x"}).context["page"].cards) == 3
    assert client.get(reverse("crm:board_column", args=[999999])).status_code == 404


def test_owner_filter_and_mine(in_alpha: Company, member: User, admin: User) -> None:
    lead = stage("Lead")
    put_deal("Member's", lead, owner=member)
    put_deal("Admin's", lead, owner=admin)
    put_deal("Nobody's", lead)
    client = signed_in(member)

    everyone = client.get(BOARD)
    names = {p.name for p in everyone.context["board"].members}
    assert {member.get_full_name(), admin.get_full_name()} <= names

    only_admin = _columns(client.get(BOARD, {"owner": admin.pk}))[lead.name]
    assert [c.name for c in only_admin.cards] == ["Admin's"]  # type: ignore[attr-defined]
    assert only_admin.count == 1  # type: ignore[attr-defined]

    mine = client.get(BOARD, {"owner": "mine"})
    assert [c.name for c in _columns(mine)[lead.name].cards] == ["Member's"]  # type: ignore[attr-defined]
    assert 'value="mine" selected' in mine.content.decode()

    junk = client.get(BOARD, {"owner": "<x>"})
    assert _columns(junk)[lead.name].count == 3  # type: ignore[attr-defined]


def test_pipeline_picker_default_first_and_choice(in_alpha: Company, member: User) -> None:
    from tenant_apps.crm.models import Pipeline, Stage

    other = Pipeline.objects.create(name="AAA Partners")
    intro = Stage.objects.create(pipeline=other, name="Intro", position=1)
    put_deal("Partner deal", intro)
    client = signed_in(member)

    default = client.get(BOARD)
    assert default.context["board"].pipelines[0].is_default
    assert default.context["board"].pipeline.is_default
    assert "Partner deal" not in default.content.decode()

    chosen = client.get(BOARD, {"pipeline": other.pk})
    assert chosen.context["board"].pipeline == other
    assert [c.stage.name for c in chosen.context["board"].columns] == ["Intro"]
    assert "Partner deal" in chosen.content.decode()
    # an unknown pipeline falls back to the default one
    assert client.get(BOARD, {"pipeline": "nope"}).context["board"].pipeline.is_default


@pytest.mark.parametrize(("days", "stale"), [(13, False), (15, True)])
def test_stale_flag_after_14_quiet_days(
    in_alpha: Company, member: User, days: int, stale: bool
) -> None:
    when = timezone.now() - datetime.timedelta(days=days)
    lead = stage("Lead")
    put_deal("By activity", lead, last_activity_at=when, stage_changed_at=timezone.now())
    put_deal("By stage change", lead, stage_changed_at=when)
    put_deal("Won long ago", stage("Won"), stage_changed_at=when)

    response = signed_in(member).get(BOARD)

    cards = {c.name: c for col in response.context["board"].columns for c in col.cards}
    assert cards["By activity"].stale is stale
    assert cards["By stage change"].stale is stale
    assert cards["Won long ago"].stale is False  # only open deals go stale
    html = response.content.decode()
    assert ("is-stale" in html) is stale
    assert ("board-tag is-stale" in html) is stale  # a text marker, not only a colour


def test_recent_activity_keeps_a_deal_fresh(in_alpha: Company, member: User) -> None:
    old = timezone.now() - datetime.timedelta(days=40)
    put_deal("Busy", stage("Lead"), stage_changed_at=old, last_activity_at=timezone.now())
    response = signed_in(member).get(BOARD)
    assert response.context["board"].columns[0].cards[0].stale is False


def test_viewer_sees_the_board_without_move_controls(in_alpha: Company, viewer: User) -> None:
    put_deal("Look only", stage("Lead"))
    html = signed_in(viewer).get(BOARD).content.decode()
    assert "Look only" in html
    assert 'draggable="true"' not in html
    assert "data-board-move" not in html


def test_member_gets_drag_handles_and_move_control(in_alpha: Company, member: User) -> None:
    put_deal("Movable", stage("Lead"))
    html = signed_in(member).get(BOARD).content.decode()
    assert 'draggable="true"' in html
    assert "data-board-move" in html
    assert 'aria-live="polite"' in html


def test_beta_deals_never_on_alpha_board(alpha: Company, beta: Company, member: User) -> None:
    with schema_context("beta"):
        put_deal("Beta secret deal", stage("Lead"), amount="777")
    with schema_context("alpha"):
        put_deal("Alpha deal", stage("Lead"), amount="5")
    response = signed_in(member).get(BOARD)
    html = response.content.decode()
    assert "Alpha deal" in html
    assert "Beta secret deal" not in html
    assert "777" not in html


def test_column_summaries_respect_owner(in_alpha: Company, member: User) -> None:
    lead = stage("Lead")
    put_deal("x", lead, owner=member, amount="5")
    put_deal("y", lead, amount="7")
    assert column_summaries(stages=[lead], owner_id=member.pk) == {
        lead.pk: (1, [Total("EUR", Decimal("5"))])
    }
    assert column_summaries(stages=[lead])[lead.pk][0] == 2


def test_cursor_round_trip(in_alpha: Company) -> None:
    from tenant_apps.crm.board import cursor_parse

    deal = put_deal("x", stage("Lead"), amount="12.50")
    from tenant_apps.crm.board import Card

    card = Card(deal.pk, "x", "", Decimal("12.50"), "EUR", deal.stage_id, None, None, 1, False)
    assert cursor_parse(cursor_of(card)) == (Decimal("12.50"), deal.pk)
    assert cursor_parse("") is None
    assert cursor_parse("Infinity_3") is None
