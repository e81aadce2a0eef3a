"""Template context for the billing banner (templates/billing/_banner.html).

Shown to members on a company host: past due (days left before read-only), read-only (the
date it will be suspended), suspended, and the trial (calm, with the days left; urgent in its
last days). Owners get a link to the
billing page; others are told to ask an owner. Reads only `request.tenant` and
`request.membership` (both loaded by middleware), so it costs no query. Dates are in
Europe/Sofia.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shared_apps.accounts.permissions import Action, can
from shared_apps.billing import state
from shared_apps.billing.entitlements import BILLING_TIME_ZONE
from shared_apps.tenants.models import Company

State = Company.BillingState

BILLING_URL = "/billing/"
TRIAL_WARNING_DAYS = 3


@dataclass(frozen=True)
class Banner:
    kind: str  # the billing state (or trial_ending), a CSS modifier
    text: str
    is_owner: bool
    billing_url: str = BILLING_URL

    @property
    def is_trial(self) -> bool:
        return self.kind in ("trialing", "trial_ending")

    @property
    def is_calm(self) -> bool:
        """Information, not a warning: the trial before its last days."""
        return self.kind == "trialing"


def _days_left(deadline: datetime, now: datetime) -> tuple[int, str]:
    """Whole calendar days until `deadline` in Europe/Sofia, and its date."""
    end = timezone.localtime(deadline, BILLING_TIME_ZONE).date()
    today = timezone.localtime(now, BILLING_TIME_ZONE).date()
    return max((end - today).days, 0), date_format(end, "DATE_FORMAT")


def banner_text(company: Company, now: datetime) -> str | None:
    current, since = company.billing_state, company.billing_state_changed_at
    if current == State.PAST_DUE:
        days, on = _days_left(since + state.past_due_grace(), now)
        if days == 0:
            return _("A payment is overdue. This company becomes read-only today.")
        return ngettext(
            "A payment is overdue. In %(days)d day, on %(date)s, this company becomes read-only.",
            "A payment is overdue. In %(days)d days, on %(date)s, this company becomes read-only.",
            days,
        ) % {"days": days, "date": on}
    if current == State.READ_ONLY:
        _days, on = _days_left(since + state.read_only_period(), now)
        return _(
            "This company is read-only because a payment is overdue: you can read and export "
            "data but not change it. On %(date)s it will be suspended."
        ) % {"date": on}
    if current == State.SUSPENDED:
        return _(
            "This company is suspended because a payment is overdue: only billing, exports "
            "and your account are available."
        )
    if current == State.TRIALING and company.trial_ends_at is not None:
        days, on = _days_left(company.trial_ends_at, now)
        if company.trial_ends_at <= now:
            return None
        if days == 0:
            return _("The free trial ends today.")
        if days <= TRIAL_WARNING_DAYS:
            return ngettext(
                "The free trial ends in %(days)d day, on %(date)s.",
                "The free trial ends in %(days)d days, on %(date)s.",
                days,
            ) % {"days": days, "date": on}
        # the whole trial, calmly: how long is left
        return ngettext(
            "Free trial: %(days)d day left, until %(date)s.",
            "Free trial: %(days)d days left, until %(date)s.",
            days,
        ) % {"days": days, "date": on}
    return None


def banner_kind(company: Company, now: datetime) -> str:
    """The banner's CSS modifier: the billing state, or `trial_ending` in a trial's last
    days (urgent, where the rest of the trial is calm)."""
    if company.billing_state == State.TRIALING and company.trial_ends_at is not None:
        days, _on = _days_left(company.trial_ends_at, now)
        if days <= TRIAL_WARNING_DAYS:
            return "trial_ending"
    return str(company.billing_state)


def billing_banner(request: HttpRequest) -> dict[str, Any]:
    company = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    if not isinstance(company, Company) or membership is None:
        return {"billing_banner": None}
    now = timezone.now()
    text = banner_text(company, now)
    if text is None:
        return {"billing_banner": None}
    return {
        "billing_banner": Banner(
            kind=banner_kind(company, now),
            text=text,
            is_owner=can(membership, Action.BILLING_MANAGE),
        )
    }
