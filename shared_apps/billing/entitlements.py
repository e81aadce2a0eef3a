"""What a company's plan allows now: one place answers "may company X do Y".

Each limit is a nullable field of `Plan` (None: unlimited); a company without a plan (rows
made outside provisioning) is unlimited. Every check raises `LimitReached`, a
ValidationError whose message names the limit and the cheapest listed plan that lifts it,
so forms show it as they show any other error.

| limit     | counted as                                          | kept consistent by          |
|-----------|-----------------------------------------------------|-----------------------------|
| seats     | members + open invitations (an invitation reserves a | advisory lock per company,  |
|           | seat; accepting it uses that seat)                  | then count                  |
| contacts  | live contacts (not in the bin) in the company schema | advisory lock, then count   |
| storage   | bytes stored (`storage_reserve` / `storage_release`) | conditional UPDATE          |
| AI        | requests this month (`ai_request_take`)             | conditional UPDATE          |
| API rate  | requests this minute (`api_rate_take`)              | Redis INCR, fixed window    |

Counted limits (seats, contacts) take a transaction-scoped advisory lock before counting,
so two requests adding the last contact run one after the other and the second sees the
first's row: the caller's transaction must be the one that inserts. Metered limits
(storage, AI) are counters in `UsageCounter`, changed by one `UPDATE ... SET used = used + n
WHERE used + n <= limit`, which PostgreSQL re-checks under the row lock: concurrent takes
never pass the limit.

The AI month is the calendar month in Europe/Sofia (whatever the subscription's billing
day): the same for every company, known without a Stripe read, shown on the usage page.

Company-schema counts (contacts) come from the tenant app through the `contacts_count` hook
(shared_apps/tenants/hooks.py; shared_apps never import tenant_apps).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import schema_context

from saas.cache_guard import CacheUnavailable
from shared_apps.billing.models import Plan, UsageCounter
from shared_apps.billing.pricing import count
from shared_apps.billing.pricing import storage as storage_text
from shared_apps.tenants import hooks
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company

if TYPE_CHECKING:
    from shared_apps.accounts.models import Invitation

logger = logging.getLogger(__name__)

BILLING_TIME_ZONE = ZoneInfo("Europe/Sofia")
MB = 1024 * 1024

SEATS = "seats"
CONTACTS = "contacts"
STORAGE = "storage"
AI_REQUESTS = "ai_requests"
API_RATE = "api_rate"

# The Plan field holding each limit.
PLAN_FIELDS = {
    SEATS: "seats",
    CONTACTS: "contacts",
    STORAGE: "storage_mb",
    AI_REQUESTS: "ai_requests_per_month",
    API_RATE: "api_requests_per_minute",
}
# Keys of pg_advisory_xact_lock(class, company id) for the counted limits.
_LOCK_CLASS = {SEATS: 7_201, CONTACTS: 7_202}


class LimitReached(ValidationError):
    """The company's plan does not allow more of something. `limit` names it ("seats",
    "contacts", "storage", "ai_requests", "api_rate")."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message, code="limit_reached", params=None)
        self.limit = limit


# --- Plans and periods ----------------------------------------------------------------------


def company_plan(company: Company) -> Plan | None:
    return company.plan


def plan_limit(plan: Plan | None, limit: str) -> int | None:
    """The plan's limit in counting units (storage in bytes); None: unlimited."""
    if plan is None:
        return None
    value: int | None = getattr(plan, PLAN_FIELDS[limit])
    if value is not None and limit == STORAGE:
        return value * MB
    return value


def plan_lifting(*, plan: Plan | None, limit: str, needed: int) -> Plan | None:
    """The cheapest listed plan other than `plan` that allows `needed` (in counting units)."""
    plans = Plan.objects.filter(is_public=True, is_trial=False).order_by(
        "price_monthly_cents", "sort_order", "id"
    )
    for candidate in plans:
        if plan is not None and candidate.pk == plan.pk:
            continue
        allowed = plan_limit(candidate, limit)
        if allowed is None or allowed >= needed:
            return candidate
    return None


def billing_period(now: datetime | None = None) -> tuple[date, date]:
    """The current AI-request month in Europe/Sofia: (first day, first day of the next)."""
    today = timezone.localtime(now or timezone.now(), BILLING_TIME_ZONE).date()
    start = today.replace(day=1)
    reset = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, reset


def company_current() -> Company:
    """The company whose schema the connection is in (a request's company, or the row for
    the schema a task or test selected)."""
    tenant = connection.tenant
    if isinstance(tenant, Company):
        return tenant
    return Company.objects.get(schema_name=connection.schema_name)


# --- Messages -------------------------------------------------------------------------------


def _amount(limit: str, value: int) -> str:
    if limit == STORAGE:
        return _("%(size)s of file storage") % {"size": storage_text(value // MB)}
    if limit == SEATS:
        return ngettext("%(count)s member", "%(count)s members", value) % {"count": count(value)}
    if limit == CONTACTS:
        return ngettext("%(count)s contact", "%(count)s contacts", value) % {"count": count(value)}
    if limit == AI_REQUESTS:
        return ngettext("%(count)s AI request a month", "%(count)s AI requests a month", value) % {
            "count": count(value)
        }
    return ngettext("%(count)s API request a minute", "%(count)s API requests a minute", value) % {
        "count": count(value)
    }


def _unlimited(limit: str) -> str:
    return {
        SEATS: _("unlimited members"),
        CONTACTS: _("unlimited contacts"),
        STORAGE: _("unlimited file storage"),
        AI_REQUESTS: _("unlimited AI requests"),
        API_RATE: _("API requests without a rate limit"),
    }[limit]


def limit_message(*, plan: Plan, limit: str, allowed: int, needed: int) -> str:
    """ "Your Starter plan allows 5,000 contacts. The Pro plan allows 50,000 contacts." """
    text = _("Your %(plan)s plan allows %(amount)s.") % {
        "plan": plan.name,
        "amount": _amount(limit, allowed),
    }
    lifting = plan_lifting(plan=plan, limit=limit, needed=needed)
    if lifting is None:
        more = _("No plan allows more; please contact us.")
    else:
        lifted = plan_limit(lifting, limit)
        more = _("The %(plan)s plan allows %(amount)s.") % {
            "plan": lifting.name,
            "amount": _unlimited(limit) if lifted is None else _amount(limit, lifted),
        }
    return f"{text} {more}"


def _refuse(*, plan: Plan, limit: str, allowed: int, needed: int, extra: str = "") -> None:
    message = limit_message(plan=plan, limit=limit, allowed=allowed, needed=needed)
    raise LimitReached(f"{message} {extra}".strip(), limit=limit)


# --- Counted limits: seats, contacts --------------------------------------------------------


def contacts_used(*, company: Company) -> int:
    """The company's live contacts, counted in its schema by the `contacts_count` hook
    (MissingHook when no app registered it)."""
    counter = hooks.contacts_count.func
    if connection.schema_name == company.schema_name:
        return counter()
    with schema_context(company.schema_name):
        return counter()


def _lock(company: Company, limit: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"{limit} are checked inside the transaction that adds them")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS[limit], company.pk])


def seats_used(*, company: Company, accepting: Invitation | None = None) -> int:
    from shared_apps.accounts.models import Invitation, Membership

    invitations = Invitation.objects.filter(
        company=company,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if accepting is not None:
        invitations = invitations.exclude(pk=accepting.pk)
    members = Membership.objects.filter(company=company)
    return members.count() + invitations.count()


def seats_check(*, company: Company, accepting: Invitation | None = None) -> None:
    """Raise LimitReached when `company` cannot take one more member: inviting someone
    (open invitations hold a seat each) or accepting `accepting` (its own seat is free for
    it). Called inside the adding service's transaction."""
    plan = company_plan(company)
    allowed = plan_limit(plan, SEATS)
    if plan is None or allowed is None:
        return
    _lock(company, SEATS)
    used = seats_used(company=company, accepting=accepting)
    if used + 1 > allowed:
        _refuse(
            plan=plan,
            limit=SEATS,
            allowed=allowed,
            needed=used + 1,
            extra=_("Members and open invitations take all seats."),
        )


def contacts_check(*, company: Company, adding: int = 1) -> None:
    """Raise LimitReached when `company` may not hold `adding` more contacts. Called by
    the contact services inside the transaction that inserts them."""
    plan = company_plan(company)
    allowed = plan_limit(plan, CONTACTS)
    if plan is None or allowed is None:
        return
    _lock(company, CONTACTS)
    used = contacts_used(company=company)
    if used + adding > allowed:
        _refuse(plan=plan, limit=CONTACTS, allowed=allowed, needed=used + adding)


# --- Metered limits: storage, AI requests ---------------------------------------------------


def _counter_take(
    *, company: Company, metric: str, period_start: date | None, amount: int, allowed: int
) -> bool:
    """Add `amount` to the counter unless that passes `allowed`. True if taken."""
    if amount > allowed:
        return False
    UsageCounter.objects.bulk_create(
        [UsageCounter(company=company, metric=metric, period_start=period_start)],
        ignore_conflicts=True,
    )
    counters = UsageCounter.objects.filter(
        company=company, metric=metric, period_start=period_start
    )
    # One statement: PostgreSQL re-evaluates the WHERE on the locked, newest row version.
    taken = counters.filter(used__lte=allowed - amount).update(
        used=F("used") + amount, updated_at=timezone.now()
    )
    return taken == 1


def storage_reserve(*, company: Company, bytes: int) -> None:
    """Count `bytes` more of stored files, or raise LimitReached (nothing counted)."""
    if bytes < 0:
        raise ValueError("bytes must not be negative")
    plan = company_plan(company)
    allowed = plan_limit(plan, STORAGE)
    metric = UsageCounter.Metric.STORAGE_BYTES
    if plan is None or allowed is None:
        # Unlimited plans still count, so a later, smaller plan sees the real usage.
        allowed = 2**62
    with transaction.atomic():
        if _counter_take(
            company=company, metric=metric, period_start=None, amount=bytes, allowed=allowed
        ):
            return
        used = storage_used(company=company)
    assert plan is not None
    _refuse(plan=plan, limit=STORAGE, allowed=allowed, needed=used + bytes)


def storage_release(*, company: Company, bytes: int) -> None:
    """Count `bytes` fewer (a file was deleted); never below zero."""
    UsageCounter.objects.filter(
        company=company, metric=UsageCounter.Metric.STORAGE_BYTES, period_start=None
    ).update(used=Greatest(F("used") - bytes, 0), updated_at=timezone.now())


def storage_used(*, company: Company) -> int:
    row = UsageCounter.objects.filter(
        company=company, metric=UsageCounter.Metric.STORAGE_BYTES, period_start=None
    ).first()
    return row.used if row is not None else 0


def ai_request_take(*, company: Company, n: int = 1, now: datetime | None = None) -> None:
    """Count `n` AI requests this month, or raise LimitReached (nothing counted)."""
    plan = company_plan(company)
    allowed = plan_limit(plan, AI_REQUESTS)
    start, reset = billing_period(now)
    metric = UsageCounter.Metric.AI_REQUESTS
    if plan is None or allowed is None:
        allowed = 2**62
    if _counter_take(company=company, metric=metric, period_start=start, amount=n, allowed=allowed):
        return
    assert plan is not None
    _refuse(
        plan=plan,
        limit=AI_REQUESTS,
        allowed=allowed,
        needed=allowed + n,
        extra=_("The count starts again on %(date)s.")
        % {"date": date_format(reset, "DATE_FORMAT")},
    )


def ai_requests_used(*, company: Company, now: datetime | None = None) -> int:
    start, _reset = billing_period(now)
    row = UsageCounter.objects.filter(
        company=company, metric=UsageCounter.Metric.AI_REQUESTS, period_start=start
    ).first()
    return row.used if row is not None else 0


def metered_used(*, company: Company, now: datetime | None = None) -> dict[str, int]:
    """Storage bytes and this month's AI requests, in one query."""
    start, _reset = billing_period(now)
    rows = UsageCounter.objects.filter(company=company).filter(
        Q(metric=UsageCounter.Metric.STORAGE_BYTES, period_start=None)
        | Q(metric=UsageCounter.Metric.AI_REQUESTS, period_start=start)
    )
    used = {STORAGE: 0, AI_REQUESTS: 0}
    for row in rows:
        used[STORAGE if row.metric == UsageCounter.Metric.STORAGE_BYTES else AI_REQUESTS] = row.used
    return used


# --- API rate -------------------------------------------------------------------------------


def _api_rate_key(company: Company, minute: int) -> str:
    # A global key (the "default" alias): the limit is the company's, whatever the host.
    return f"billing:api-rate:{company.pk}:{minute}"


@dataclass(frozen=True)
class RateWindow:
    used: int
    resets_at: datetime


def api_rate_take(*, company: Company, now: datetime | None = None) -> RateWindow:
    """Count one API request in the current minute, or raise LimitReached.

    A fixed one-minute window in Redis (ADD then INCR: both atomic). If the cache is down
    the request is refused (CacheUnavailable, answered with 503): a limit that cannot count
    fails closed."""
    now = now or timezone.now()
    minute = int(now.timestamp() // 60)
    resets_at = datetime.fromtimestamp((minute + 1) * 60, tz=now.tzinfo)
    plan = company_plan(company)
    allowed = plan_limit(plan, API_RATE)
    if plan is None or allowed is None:
        return RateWindow(used=0, resets_at=resets_at)
    cache = caches["default"]
    key = _api_rate_key(company, minute)
    try:
        cache.add(key, 0, timeout=120)
        used = int(cache.incr(key))
    except Exception as exc:
        logger.warning("api rate: cache unavailable, request refused", exc_info=True)
        raise CacheUnavailable("the API rate limit cannot count without the cache") from exc
    if used > allowed:
        _refuse(plan=plan, limit=API_RATE, allowed=allowed, needed=used)
    return RateWindow(used=used, resets_at=resets_at)


def api_rate_used(*, company: Company, now: datetime | None = None) -> int:
    now = now or timezone.now()
    try:
        value = caches["default"].get(_api_rate_key(company, int(now.timestamp() // 60)))
    except Exception:
        return 0
    return int(value or 0)
