"""Reads for the company home page: open pipeline value by stage, deals won and lost per
month, my tasks, recent activity (`crm.recent`).

The aggregates (pipelines, stage values, months) are cached in Redis through the `tenant`
cache alias, whose keys carry the company's schema (`django_tenants.cache.make_key`), so one
company's numbers are never served to another. Every key includes a per-company version;
any audited write to a deal, pipeline or stage bumps it (a `post_save` receiver on
`AuditEvent`, once at once and once after commit), and a short TTL is the backstop. When
Redis is down the numbers are computed directly.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from redis.exceptions import RedisError

from shared_apps.accounts.models import User
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.board import Total, column_summaries, pipeline_pick, totals_sorted
from tenant_apps.crm.models import (
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    Pipeline,
    Stage,
)
from tenant_apps.crm.recent import FeedItem, recent_activity
from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache

logger = logging.getLogger(__name__)

CACHE_ALIAS = "tenant"
CACHE_TTL = 300  # seconds; invalidation is by version, this is only the backstop
VERSION_KEY = "dashboard:version"
MONTHS = 12
INVALIDATING = ("crm.deal.", "crm.pipeline.", "crm.stage.", "crm.lost_reason.")
_CACHE_ERRORS = (RedisError, OSError)


@dataclass
class PipelineChoice:
    id: int
    name: str
    is_default: bool


@dataclass
class StageValue:
    stage_id: int
    name: str
    count: int
    totals: list[Total]


@dataclass
class MonthCount:
    month: datetime.date
    won: int = 0
    lost: int = 0
    won_totals: list[Total] = field(default_factory=list)


@dataclass
class ReasonCount:
    reason: str  # "" when none was given
    count: int
    totals: list[Total]


@dataclass
class Aggregates:
    pipelines: list[PipelineChoice]
    pipeline_id: int | None
    stages: list[StageValue]
    open_totals: list[Total]
    months: list[MonthCount]
    quarter_start: datetime.date | None = None
    lost_reasons: list[ReasonCount] = field(default_factory=list)


# --- cache ---------------------------------------------------------------------------------


def _cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def dashboard_cache_bump() -> None:
    """A new version for the current company: every cached aggregate is out of date."""
    cache = _cache()
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (or evicted): start from a fresh, unused number
            cache.add(VERSION_KEY, time.time_ns(), timeout=None)
    except _CACHE_ERRORS:
        logger.warning("dashboard cache bump failed", exc_info=True)


@receiver(post_save, sender=AuditEvent, dispatch_uid="crm_dashboard_invalidate")
def _audit_saved(sender: type[AuditEvent], instance: AuditEvent, created: bool, **_: Any) -> None:
    if created and instance.action.startswith(INVALIDATING):
        # Now (this request reads fresh numbers) and after commit (a reader that filled the
        # cache between the two saw the old rows).
        dashboard_cache_bump()
        transaction.on_commit(dashboard_cache_bump)


def _month_starts(now: datetime.datetime) -> list[datetime.date]:
    """The first day of the last MONTHS months (this one included), in local time."""
    today = timezone.localtime(now).date()
    year, month = today.year, today.month
    starts = []
    for _ in range(MONTHS):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _key(pipeline_id: str | int | None, version: object, now: datetime.datetime) -> str:
    month = timezone.localtime(now).strftime("%Y-%m")
    return f"dashboard:{version}:{pipeline_id or 'default'}:{month}"


# --- aggregates ----------------------------------------------------------------------------


def won_lost_by_month(*, now: datetime.datetime) -> list[MonthCount]:
    """Deals won and lost per month (when they reached the won or lost stage), in the
    company's time zone, for the last 12 months. One query."""
    tz = timezone.get_current_timezone()
    starts = _month_starts(now)
    since = datetime.datetime.combine(starts[0], datetime.time.min, tzinfo=tz)
    rows = (
        Deal.objects.filter(
            deleted_at__isnull=True,
            status__in=[DealStatus.WON, DealStatus.LOST],
            stage_changed_at__gte=since,
            stage_changed_at__lte=now,
        )
        .annotate(month=TruncMonth("stage_changed_at", tzinfo=tz))
        .order_by()
        .values("month", "status", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    months = {start: MonthCount(start) for start in starts}
    won_sums: dict[datetime.date, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        start = timezone.localtime(row["month"], tz).date()
        entry = months.get(start)
        if entry is None:
            continue
        if row["status"] == DealStatus.WON:
            entry.won += row["n"]
            won_sums[start][row["currency"]] = row["total"] or Decimal("0")
        else:
            entry.lost += row["n"]
    for start, sums in won_sums.items():
        months[start].won_totals = totals_sorted(sums)
    return list(months.values())


def _quarter_start(now: datetime.datetime) -> datetime.date:
    today = timezone.localtime(now).date()
    return datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def lost_by_reason(*, now: datetime.datetime) -> list[ReasonCount]:
    """Deals lost this quarter (local time) by reason, most frequent first. One query."""
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(_quarter_start(now), datetime.time.min, tzinfo=tz)
    rows = (
        Deal.objects.filter(
            deleted_at__isnull=True,
            status=DealStatus.LOST,
            stage_changed_at__gte=since,
            stage_changed_at__lte=now,
        )
        .order_by()
        .values("lost_reason_choice__name", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
    )
    counts: dict[str, int] = defaultdict(int)
    sums: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows:
        reason = row["lost_reason_choice__name"] or ""
        counts[reason] += row["n"]
        sums[reason][row["currency"]] = row["total"] or Decimal("0")
    found = [ReasonCount(r, n, totals_sorted(sums[r])) for r, n in counts.items()]
    # most frequent first; "no reason given" last among equals
    return sorted(found, key=lambda r: (-r.count, r.reason == "", r.reason))


def aggregates_compute(*, pipeline_id: str | int | None, now: datetime.datetime) -> Aggregates:
    """Pipelines, the chosen pipeline's open value per stage, won/lost per month, lost deals
    by reason this quarter: 5 queries."""
    pipelines = list(Pipeline.objects.all())
    pipeline = pipeline_pick(pipelines, pipeline_id)
    stages = (
        list(
            Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False).order_by(
                "position"
            )
        )
        if pipeline
        else []
    )
    summaries = column_summaries(stages=stages) if stages else {}
    values = []
    overall: dict[str, Decimal] = defaultdict(Decimal)
    for stage in stages:
        count, totals = summaries.get(stage.pk, (0, []))
        values.append(StageValue(stage.pk, stage.name, count, totals))
        for total in totals:
            overall[total.currency] += total.amount
    return Aggregates(
        pipelines=[PipelineChoice(p.pk, p.name, p.is_default) for p in pipelines],
        pipeline_id=pipeline.pk if pipeline else None,
        stages=values,
        open_totals=totals_sorted(dict(overall)),
        months=won_lost_by_month(now=now),
        quarter_start=_quarter_start(now),
        lost_reasons=lost_by_reason(now=now),
    )


def dashboard_aggregates(
    *, pipeline_id: str | int | None = None, now: datetime.datetime | None = None
) -> Aggregates:
    """The cached aggregates, computed on a miss (or directly when the cache is down).
    The caller has checked access (`dashboard_get`)."""
    now = now or timezone.now()
    cache = _cache()
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = time.time_ns()
            cache.add(VERSION_KEY, version, timeout=None)
        key = _key(pipeline_id, version, now)
        cached = cache.get(key)
    except _CACHE_ERRORS:
        logger.warning("dashboard cache unavailable; computing directly", exc_info=True)
        return aggregates_compute(pipeline_id=pipeline_id, now=now)
    if isinstance(cached, Aggregates):
        return cached
    data = aggregates_compute(pipeline_id=pipeline_id, now=now)
    try:
        cache.set(key, data, CACHE_TTL)
    except _CACHE_ERRORS:
        logger.warning("dashboard cache write failed", exc_info=True)
    return data


# --- per person, not cached ----------------------------------------------------------------


def my_tasks(
    *, actor: User, now: datetime.datetime | None = None, limit: int = 10
) -> tuple[list[Activity], list[Activity]]:
    """(overdue, upcoming) open tasks assigned to the actor; upcoming includes tasks without
    a due time, last. Two queries. The caller has checked access (`dashboard_get`)."""
    now = now or timezone.now()
    tasks = Activity.objects.filter(
        kind=ActivityKind.TASK, assignee_id=actor.pk, done=False
    ).select_related("deal", "organization", "contact")
    overdue = list(tasks.filter(due_at__lt=now).order_by("due_at", "id")[:limit])
    upcoming = list(
        tasks.filter(Q(due_at__gte=now) | Q(due_at__isnull=True)).order_by(
            F("due_at").asc(nulls_last=True), "id"
        )[:limit]
    )
    return overdue, upcoming


@dataclass
class Dashboard:
    numbers: Aggregates
    overdue: list[Activity]
    upcoming: list[Activity]
    recent: list[FeedItem]


def dashboard_get(
    *, actor: User, pipeline_id: str | int | None = None, now: datetime.datetime | None = None
) -> Dashboard:
    """Everything the home page shows, for `actor`. One access check."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    now = now or timezone.now()
    overdue, upcoming = my_tasks(actor=actor, now=now)
    return Dashboard(
        numbers=dashboard_aggregates(pipeline_id=pipeline_id, now=now),
        overdue=overdue,
        upcoming=upcoming,
        recent=recent_activity(),
    )
