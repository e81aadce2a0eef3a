"""Reads for the pipeline board: columns with counts and per-currency sums, capped card pages,
and the people who own deals. The cost is fixed whatever the number of deals: one grouped
query for every column's count and sums, one query for the first page of every column (a
LATERAL top-N per stage on the `crm_deal_stage_column_idx` index), one for the owners.

What a column holds: the live (not deleted) open deals of a regular stage; every live deal
of a won or lost stage (their status is won or lost: `deal_move_stage` sets the status from
the stage's `is_won` / `is_lost` markers). Cards are ordered by amount, largest first, then
newest id; the "show more" page continues after the last card shown (keyset, so a card moved
meanwhile does not shift the next page).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Deal, DealStatus, Pipeline, Stage

if TYPE_CHECKING:
    from shared_apps.tenants.models import Company

PAGE_SIZE = 30
STALE_AFTER = datetime.timedelta(days=14)
BASE_CURRENCY = "EUR"
_CARD_FIELDS = (
    "id",
    "name",
    "amount",
    "currency",
    "stage_id",
    "pipeline_id",
    "status",
    "owner_id",
    "expected_close_date",
    "version",
    "created_at",
    "stage_changed_at",
    "last_activity_at",
    "organization__name",
)


@dataclass(frozen=True)
class Total:
    currency: str
    amount: Decimal


@dataclass
class Person:
    id: int
    name: str
    is_member: bool = True


@dataclass
class Card:
    id: int
    name: str
    organization: str
    amount: Decimal
    currency: str
    stage_id: int
    owner_id: int | None
    expected_close_date: datetime.date | None
    version: int
    stale: bool
    owner: Person | None = None
    # Filled in by the view for the template: the detail URL and the "Move to…" options.
    url: str = ""
    options: str = ""


@dataclass
class Column:
    stage: Stage
    count: int = 0
    totals: list[Total] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.stage.is_won or self.stage.is_lost

    @property
    def next_after(self) -> str | None:
        """The cursor of the next page, or None when every card is shown."""
        if self.count <= len(self.cards) or not self.cards:
            return None
        return cursor_of(self.cards[-1])


@dataclass
class Board:
    pipelines: list[Pipeline]
    pipeline: Pipeline | None
    stages: list[Stage]
    columns: list[Column]
    members: list[Person]
    owner_id: int | None


@dataclass
class CardPage:
    stage: Stage
    stages: list[Stage]
    cards: list[Card]
    next_after: str | None


def cursor_of(card: Card) -> str:
    return f"{card.amount}_{card.id}"


def cursor_parse(value: str) -> tuple[Decimal, int] | None:
    amount, _sep, pk = value.partition("_")
    try:
        parsed = Decimal(amount), int(pk)
    except (ArithmeticError, ValueError):
        return None
    return parsed if parsed[0].is_finite() else None


def is_stale(
    *,
    status: str,
    last_activity_at: datetime.datetime | None,
    stage_changed_at: datetime.datetime | None,
    created_at: datetime.datetime,
    now: datetime.datetime,
) -> bool:
    """An open deal with no activity (or, lacking one, no stage change) for 14 days."""
    if status != DealStatus.OPEN:
        return False
    last = last_activity_at or stage_changed_at or created_at
    return now - last > STALE_AFTER


def totals_sorted(by_currency: dict[str, Decimal]) -> list[Total]:
    """Sums per currency, EUR first, then alphabetically."""
    order = sorted(by_currency, key=lambda c: (c != BASE_CURRENCY, c))
    return [Total(c, by_currency[c]) for c in order]


def column_summaries(
    *, stages: Iterable[Stage], owner_id: int | None = None
) -> dict[int, tuple[int, list[Total]]]:
    """Count and sums per currency of each column, in one grouped query."""
    stages = list(stages)
    open_ids = [s.pk for s in stages if not (s.is_won or s.is_lost)]
    closed_ids = [s.pk for s in stages if s.is_won or s.is_lost]
    deals = Deal.objects.filter(
        Q(stage_id__in=open_ids, status=DealStatus.OPEN) | Q(stage_id__in=closed_ids),
        deleted_at__isnull=True,
    )
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    rows = (
        deals.order_by().values("stage_id", "currency").annotate(n=Count("id"), total=Sum("amount"))
    )
    counts: dict[int, int] = defaultdict(int)
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        counts[row["stage_id"]] += row["n"]
        sums[row["stage_id"]][row["currency"]] = row["total"] or Decimal("0")
    return {stage_id: (counts[stage_id], totals_sorted(sums[stage_id])) for stage_id in counts}


def _first_pages_sql(*, pipeline_id: int, owner_id: int | None, limit: int) -> RawSQL:
    """Ids of the first `limit` cards of every column of a pipeline: a top-N per stage
    (LATERAL), so each stage reads `limit` index entries, not all its deals."""
    deal, stage = Deal._meta.db_table, Stage._meta.db_table
    owner = " AND d.owner_id = %s" if owner_id is not None else ""
    owner_params: list[object] = [owner_id] if owner_id is not None else []
    # Closed columns filter on the pipeline too, so that `crm_deal_board_idx` applies.
    # `status = 'open'` is a literal so that the planner can use the partial index.
    sql = (
        f"SELECT picked.id FROM {stage} s CROSS JOIN LATERAL ("
        f" SELECT d.id FROM {deal} d WHERE d.stage_id = s.id AND d.deleted_at IS NULL"
        f" AND d.status = '{DealStatus.OPEN.value}'{owner}"
        " ORDER BY d.amount DESC, d.id DESC LIMIT %s) picked"
        " WHERE s.pipeline_id = %s AND NOT s.is_won AND NOT s.is_lost"
        " UNION ALL "
        f"SELECT picked.id FROM {stage} s CROSS JOIN LATERAL ("
        f" SELECT d.id FROM {deal} d WHERE d.pipeline_id = s.pipeline_id"
        f" AND d.stage_id = s.id AND d.deleted_at IS NULL{owner}"
        " ORDER BY d.amount DESC, d.id DESC LIMIT %s) picked"
        " WHERE s.pipeline_id = %s AND (s.is_won OR s.is_lost)"
    )
    params = [*owner_params, limit, pipeline_id, *owner_params, limit, pipeline_id]
    # `= ANY(ARRAY(...))` runs the top-N first, then fetches those rows by primary key (an
    # `IN (subquery)` may be planned as a scan of every deal joined to the picked ids).
    return RawSQL(  # noqa: S611  (no user text: ids and a constant)
        f"{deal}.id = ANY(ARRAY({sql}))", params, output_field=BooleanField()
    )


def _card_rows(deals: QuerySet[Deal]) -> list[Card]:
    now = timezone.now()
    cards = [
        Card(
            id=row["id"],
            name=row["name"],
            organization=row["organization__name"] or "",
            amount=row["amount"],
            currency=row["currency"],
            stage_id=row["stage_id"],
            owner_id=row["owner_id"],
            expected_close_date=row["expected_close_date"],
            version=row["version"],
            stale=is_stale(
                status=row["status"],
                last_activity_at=row["last_activity_at"],
                stage_changed_at=row["stage_changed_at"],
                created_at=row["created_at"],
                now=now,
            ),
        )
        for row in deals.values(*_CARD_FIELDS)
    ]
    cards.sort(key=lambda c: (-c.amount, -c.id))
    return cards


def people(
    *, company: Company, user_ids: Iterable[int | None], with_members: bool = False
) -> dict[int, Person]:
    """The given users (owners, who may have left the company) and, `with_members`, every
    member of the company: one query. Users live in the public schema, which is on every
    company's search path."""
    wanted = {pk for pk in user_ids if pk is not None}
    members = Membership.objects.filter(company_id=company.pk)
    who = Q(pk__in=wanted)
    if with_members:
        who |= Q(pk__in=Subquery(members.values("user_id")))
    elif not wanted:
        return {}
    users = (
        User.objects.filter(who)
        .annotate(is_member=Exists(members.filter(user_id=OuterRef("pk"))))
        .only("id", "full_name", "email")
    )
    return {u.pk: Person(u.pk, u.get_full_name(), u.is_member) for u in users}


def _attach_owners(cards: Sequence[Card], found: dict[int, Person]) -> None:
    for card in cards:
        card.owner = found.get(card.owner_id) if card.owner_id is not None else None


def pipeline_choices(*, actor: User) -> list[Pipeline]:
    crm_access(actor=actor, action=Action.CRM_VIEW)
    return list(Pipeline.objects.all())


def pipeline_pick(pipelines: Sequence[Pipeline], pipeline_id: str | int | None) -> Pipeline | None:
    """The requested pipeline, else the default one, else the first."""
    chosen = {str(p.pk): p for p in pipelines}.get(str(pipeline_id or ""))
    if chosen is not None:
        return chosen
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def board_get(
    *,
    actor: User,
    company: Company,
    pipeline_id: str | int | None = None,
    owner_id: int | None = None,
    per_column: int = PAGE_SIZE,
) -> Board:
    """The board of one pipeline (the default one unless another is asked for)."""
    pipelines = pipeline_choices(actor=actor)
    pipeline = pipeline_pick(pipelines, pipeline_id)
    stages: list[Stage] = list(pipeline.stages.order_by("position")) if pipeline else []
    columns = [Column(stage=s) for s in stages]
    cards: list[Card] = []
    if pipeline is not None and stages:
        summaries = column_summaries(stages=stages, owner_id=owner_id)
        for column in columns:
            column.count, column.totals = summaries.get(column.stage.pk, (0, []))
        if any(c.count for c in columns):
            ids = _first_pages_sql(pipeline_id=pipeline.pk, owner_id=owner_id, limit=per_column)
            cards = _card_rows(Deal.objects.filter(ids).order_by())
        by_stage: dict[int, list[Card]] = defaultdict(list)
        for card in cards:
            by_stage[card.stage_id].append(card)
        for column in columns:
            column.cards = by_stage[column.stage.pk]
    found = people(company=company, user_ids=[c.owner_id for c in cards], with_members=True)
    _attach_owners(cards, found)
    members = sorted((p for p in found.values() if p.is_member), key=lambda p: p.name.lower())
    return Board(pipelines, pipeline, stages, columns, members, owner_id)


def column_page(
    *,
    actor: User,
    company: Company,
    stage: Stage,
    after: tuple[Decimal, int] | None,
    owner_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> CardPage:
    """The next cards of one column, after the cursor `after` (amount, id)."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    deals = Deal.objects.filter(stage=stage, deleted_at__isnull=True)
    if not (stage.is_won or stage.is_lost):
        deals = deals.filter(status=DealStatus.OPEN)
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    if after is not None:
        amount, pk = after
        deals = deals.filter(Q(amount__lt=amount) | Q(amount=amount, pk__lt=pk))
    cards = _card_rows(deals.order_by("-amount", "-id")[: limit + 1])
    more = len(cards) > limit
    cards = cards[:limit]
    stages = list(Stage.objects.filter(pipeline_id=stage.pipeline_id).order_by("position"))
    _attach_owners(cards, people(company=company, user_ids=[c.owner_id for c in cards]))
    return CardPage(stage, stages, cards, cursor_of(cards[-1]) if more and cards else None)


def board_card(*, deal_id: int, company: Company) -> Card:
    """One card as the board shows it (after a move)."""
    cards = _card_rows(Deal.objects.filter(pk=deal_id))
    _attach_owners(cards, people(company=company, user_ids=[cards[0].owner_id]))
    return cards[0]
