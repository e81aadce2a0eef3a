"""The usage page's rows: each limit of the company's plan with what is used of it now.

A constant number of queries whatever the company holds: the plan, seats (members and open
invitations), contacts (the company schema's registered counter), the metered counters
(one query for storage and this month's AI requests), the lifting plans; the API rate comes
from Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from shared_apps.billing import entitlements as ent
from shared_apps.billing.models import Plan
from shared_apps.billing.pricing import count, storage
from shared_apps.tenants.models import Company

LABELS: dict[str, StrOrPromise] = {
    ent.SEATS: gettext_lazy("Members"),
    ent.CONTACTS: gettext_lazy("Contacts"),
    ent.STORAGE: gettext_lazy("File storage"),
    ent.AI_REQUESTS: gettext_lazy("AI requests this month"),
    ent.API_RATE: gettext_lazy("API requests this minute"),
}
NEAR_LIMIT = 0.8


@dataclass(frozen=True)
class UsageRow:
    limit: str
    label: str
    used: int
    allowed: int | None  # None: unlimited
    used_text: str
    allowed_text: str
    lifting: Plan | None  # the cheapest listed plan with more room

    @property
    def unlimited(self) -> bool:
        return self.allowed is None

    @property
    def full(self) -> bool:
        return self.allowed is not None and self.used >= self.allowed

    @property
    def near(self) -> bool:
        return self.allowed is not None and self.used >= self.allowed * NEAR_LIMIT


@dataclass(frozen=True)
class Usage:
    plan: Plan | None
    rows: list[UsageRow]
    period_start: date
    resets_on: date  # Europe/Sofia: the first day of the next month


def _text(limit: str, value: int) -> str:
    if limit == ent.STORAGE:
        megabytes = value / ent.MB
        if value and megabytes < 1:
            return _("less than 1 MB")
        return storage(round(megabytes))
    return count(value)


def _lifting(plans: list[Plan], plan: Plan | None, limit: str, allowed: int | None) -> Plan | None:
    if allowed is None:
        return None
    for candidate in plans:
        if plan is not None and candidate.pk == plan.pk:
            continue
        theirs = ent.plan_limit(candidate, limit)
        if theirs is None or theirs > allowed:
            return candidate
    return None


def usage_for(*, company: Company, now: datetime | None = None) -> Usage:
    now = now or timezone.now()
    plan = ent.company_plan(company)
    start, reset = ent.billing_period(now)
    metered = ent.metered_used(company=company, now=now)
    used = {
        ent.SEATS: ent.seats_used(company=company),
        ent.CONTACTS: ent.contacts_used(company=company),
        ent.STORAGE: metered[ent.STORAGE],
        ent.AI_REQUESTS: metered[ent.AI_REQUESTS],
        ent.API_RATE: ent.api_rate_used(company=company, now=now),
    }
    plans = list(
        Plan.objects.filter(is_public=True, is_trial=False).order_by(
            "price_monthly_cents", "sort_order", "id"
        )
    )
    rows = []
    for limit, label in LABELS.items():
        allowed = ent.plan_limit(plan, limit)
        rows.append(
            UsageRow(
                limit=limit,
                label=str(label),
                used=used[limit],
                allowed=allowed,
                used_text=_text(limit, used[limit]),
                allowed_text=_("Unlimited") if allowed is None else _text(limit, allowed),
                lifting=_lifting(plans, plan, limit, allowed),
            )
        )
    return Usage(plan=plan, rows=rows, period_start=start, resets_on=reset)
