"""The company home page (dashboard): numbers, chart, tasks, recent changes, the cache."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.board import Total
from tenant_apps.crm.dashboard import dashboard_cache_bump, won_lost_by_month
from tenant_apps.crm.models import Activity, Deal
from tenant_apps.crm.services.deals import deal_create, deal_move_stage
from tests.conftest import host_client
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.web.board.helpers import put_deal, put_deals, signed_in, stage

pytestmark = pytest.mark.django_db

SOFIA = ZoneInfo("Europe/Sofia")


def _values(response: object) -> dict[str, tuple[int, list[Total]]]:
    numbers = response.context["numbers"]  # type: ignore[attr-defined]
    return {s.name: (s.count, s.totals) for s in numbers.stages}


def test_open_pipeline_value_by_stage(in_alpha: Company, member: User) -> None:
    put_deal("a", stage("Lead"), amount="100")
    put_deal("b", stage("Lead"), amount="50", currency="USD")
    put_deal("c", stage("Qualified"), amount="200")
    put_deal("won", stage("Won"), amount="999")
    put_deal("gone", stage("Lead"), amount="5", deleted_at=timezone.now())

    response = signed_in(member).get("/")

    assert response.status_code == 200
    values = _values(response)
    assert list(values) == [stage(n).name for n in ("Lead", "Qualified", "Proposal", "Negotiation")]
    assert values[stage("Lead").name] == (
        2,
        [Total("EUR", Decimal(100)), Total("USD", Decimal(50))],
    )
    assert values[stage("Qualified").name] == (1, [Total("EUR", Decimal(200))])
    assert response.context["numbers"].open_totals == [
        Total("EUR", Decimal(300)),
        Total("USD", Decimal(50)),
    ]


def test_won_and_lost_per_month_in_sofia_time(in_alpha: Company) -> None:
    now = datetime.datetime(2026, 4, 15, 12, 0, tzinfo=SOFIA)
    utc = datetime.UTC
    # 21:30 UTC on 31 March is 00:30 on 1 April in Sofia (EEST, +3): April
    put_deal(
        "April win",
        stage("Won"),
        stage_changed_at=datetime.datetime(2026, 3, 31, 21, 30, tzinfo=utc),
    )
    # 20:30 UTC on 31 March is 23:30 on 31 March in Sofia: March
    put_deal(
        "March win",
        stage("Won"),
        amount="70",
        currency="USD",
        stage_changed_at=datetime.datetime(2026, 3, 31, 20, 30, tzinfo=utc),
    )
    put_deal(
        "March loss",
        stage("Lost"),
        stage_changed_at=datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SOFIA),
    )
    put_deal(
        "Too old",
        stage("Won"),
        stage_changed_at=datetime.datetime(2025, 4, 30, 12, 0, tzinfo=SOFIA),
    )
    put_deal(
        "Oldest counted",
        stage("Lost"),
        stage_changed_at=datetime.datetime(2025, 5, 1, 0, 5, tzinfo=SOFIA),
    )
    put_deal("Open", stage("Lead"), stage_changed_at=datetime.datetime(2026, 4, 2, tzinfo=SOFIA))

    months = won_lost_by_month(now=now)

    assert len(months) == 12
    assert months[0].month == datetime.date(2025, 5, 1)
    assert months[-1].month == datetime.date(2026, 4, 1)
    by_month = {m.month: m for m in months}
    april, march, may = (
        by_month[datetime.date(y, m, 1)] for y, m in ((2026, 4), (2026, 3), (2025, 5))
    )
    assert (april.won, april.lost) == (1, 0)
    assert april.won_totals == [Total("EUR", Decimal(100))]
    assert (march.won, march.lost) == (1, 1)
    assert march.won_totals == [Total("USD", Decimal(70))]
    assert (may.won, may.lost) == (0, 1)
    assert sum(m.won + m.lost for m in months) == 4


def test_chart_is_inline_svg_with_a_table_alternative(in_alpha: Company, member: User) -> None:
    put_deal("Won now", stage("Won"))
    put_deal("Lost now", stage("Lost"))
    html = signed_in(member).get("/").content.decode()
    assert "<svg" in html
    assert 'aria-hidden="true"' in html
    assert 'class="bar-won"' in html
    assert 'class="bar-lost"' in html
    assert "<script" not in html.split("<main>")[1]
    assert 'style="' not in html
    assert '<table class="visually-hidden">' in html
    # SVG coordinates are never localised (no decimal commas in attributes)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "," not in svg.replace("</text>", "")[: svg.index("<text")]


def test_my_overdue_and_upcoming_tasks(in_alpha: Company, member: User, admin: User) -> None:
    deal = put_deal("Linked <b>deal</b>", stage("Lead"))
    now = timezone.now()
    day = datetime.timedelta(days=1)

    def task(subject: str, **kw: object) -> None:
        Activity.objects.create(deal=deal, kind="task", subject=subject, **kw)

    task("Late one", assignee=member, due_at=now - day)
    task("Soon one", assignee=member, due_at=now + day)
    task("Someday", assignee=member)
    task("Done already", assignee=member, due_at=now - day, done=True, done_at=now)
    task("Not mine", assignee=admin, due_at=now - day)
    Activity.objects.create(deal=deal, kind="call", subject="A call", assignee=member, due_at=now)

    response = signed_in(member).get("/")

    data = response.context["dashboard"]
    assert [t.subject for t in data.overdue] == ["Late one"]
    assert [t.subject for t in data.upcoming] == ["Soon one", "Someday"]
    html = response.content.decode()
    tasks = html.split('id="dash-tasks"')[1].split("</section>")[0]
    assert "Not mine" not in tasks
    assert "Done already" not in tasks
    assert "Linked &lt;b&gt;deal&lt;/b&gt;" in html


def test_recent_activity_names_actor_and_record(in_alpha: Company, member: User) -> None:
    deal = deal_create(
        actor=member, name="<script>x</script> deal", pipeline=stage("Lead").pipeline
    )
    deal_move_stage(deal=deal, stage=stage("Qualified"), actor=member)

    response = signed_in(member).get("/")

    recent = response.context["recent"]
    assert [item.kind for item in recent][:2] == ["deal.moved", "deal.created"]
    first = recent[0]
    assert first.actor == member.get_full_name()
    assert first.name == "<script>x</script> deal"
    html = response.content.decode()
    assert member.get_full_name() in html
    assert "&lt;script&gt;x&lt;/script&gt; deal" in html
    assert "<script>x</script>" not in html
    assert f"/deals/{deal.pk}/" in html


def test_cache_is_used_and_dropped_when_a_deal_moves(in_alpha: Company, member: User) -> None:
    deal = put_deal("Mover", stage("Lead"))
    client = signed_in(member)
    lead, qualified = stage("Lead").name, stage("Qualified").name
    assert _values(client.get("/"))[lead][0] == 1

    # a write that leaves no audit row does not reach the cached numbers: they are cached
    Deal.objects.filter(pk=deal.pk).update(amount=Decimal(5))
    assert _values(client.get("/"))[lead][1] == [Total("EUR", Decimal(100))]

    deal.refresh_from_db()
    deal_move_stage(deal=deal, stage=stage("Qualified"), actor=member)

    values = _values(client.get("/"))
    assert values[lead][0] == 0
    assert values[qualified] == (1, [Total("EUR", Decimal(5))])


def test_board_move_drops_the_cached_numbers(in_alpha: Company, member: User) -> None:
    deal = put_deal("Mover", stage("Lead"))
    client = signed_in(member)
    assert _values(client.get("/"))[stage("Lead").name][0] == 1
    data = {"deal": deal.pk, "stage": stage("Proposal").pk, "version": 1}
    assert client.post("/board/move/", data, HTTP_HX_REQUEST="true").status_code == 200
    assert _values(client.get("/"))[stage("Proposal").name][0] == 1


def test_dashboard_renders_when_the_cache_is_down(in_alpha: Company, member: User) -> None:
    put_deal("Still counted", stage("Lead"))
    client = signed_in(member)
    broken = {
        **settings.CACHES,
        "tenant": {**settings.CACHES["tenant"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    with override_settings(CACHES=broken):
        response = client.get("/")
        assert response.status_code == 200
        assert _values(response)[stage("Lead").name][0] == 1
        # a write still succeeds with the cache down (the bump is best effort)
        deal = Deal.objects.get(name="Still counted")
        deal_move_stage(deal=deal, stage=stage("Qualified"), actor=member)


def test_viewer_sees_the_dashboard(in_alpha: Company, viewer: User) -> None:
    put_deal("Visible", stage("Lead"))
    assert signed_in(viewer).get("/").status_code == 200


def test_beta_numbers_never_on_alpha_dashboard(alpha: Company, beta: Company, member: User) -> None:
    with schema_context("beta"):
        put_deal("Beta only", stage("Lead"), amount="4242")
    alpha_home = signed_in(member).get("/")  # fills alpha's cache
    assert _values(alpha_home)[alpha_stage_name()][0] == 0
    assert "4242" not in alpha_home.content.decode()

    beta_client = host_client("beta.localhost")
    beta_client.force_login(beta.memberships.get(role="owner").user)
    beta_home = beta_client.get("/")
    values = beta_home.context["numbers"].stages
    assert values[0].count == 1  # not alpha's cached numbers
    assert signed_in(member).get("/").context["numbers"].stages[0].count == 0


def alpha_stage_name() -> str:
    with schema_context("alpha"):
        return stage("Lead").name


# --- query counts --------------------------------------------------------------------------

# role check, overdue tasks, upcoming tasks, audit rows, record names, actors; the layout's
# company switcher
WARM = PAGE_BASELINE + 6 + 1 + 1  # + the first-steps checklist
# + pipelines, stages, open values per stage, won/lost per month, lost by reason
COLD = WARM + 5


def _fill(n: int, member: User) -> None:
    put_deals(n, stage("Lead"), owner=member)
    put_deals(n, stage("Won"), owner=member)
    now = timezone.now()
    for i in range(n):
        deal = deal_create(actor=member, name=f"Made {i}", pipeline=stage("Lead").pipeline)
        Activity.objects.create(
            deal=deal,
            kind="task",
            subject=f"T{i}",
            assignee=member,
            due_at=now + datetime.timedelta(hours=i - n // 2),
        )


@pytest.mark.parametrize("n", [5, 50])
def test_dashboard_queries_cold_and_warm(
    in_alpha: Company, member: User, n: int, django_assert_num_queries: Callable[..., object]
) -> None:
    _fill(n, member)
    client = signed_in(member)
    client.get("/board/")  # warm per-process caches (routing, content types)
    dashboard_cache_bump()  # a cold dashboard cache (clearing would drop routing too)
    with page_queries(COLD):
        assert client.get("/").status_code == 200
    with page_queries(WARM):
        assert client.get("/").status_code == 200
