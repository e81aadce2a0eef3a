"""The billing state machine's rules, without the database: which moves are allowed and
which moves time makes due.

    trialing ─┬─> active ──> past_due ──> read_only ──> suspended
              ├─> past_due     ▲ │            │  ▲          │
              └─> read_only    └─┴── payment ─┴──┴─> active  │
    (any state but canceled) ──> canceled      (terminal: only a forced move leaves it)

- A payment brings a company back to `active` from past_due, read_only and suspended.
- `trialing → read_only` is the trial running out without a subscription (a subscribed
  company is `active`); `trialing → past_due` is a subscription whose first charge failed.
- `canceled` is reached from every other state (the subscription ended, the company left)
  and is left only by `billing_state_force` (the platform admin).

Time moves a company on (`due_move`), each stage counted from when it began
(`billing_state_changed_at`), so a late scheduler never skips a stage:
- trialing whose `trial_ends_at` has passed → read_only;
- past_due for BILLING_PAST_DUE_GRACE_DAYS (7) → read_only;
- read_only for BILLING_READ_ONLY_DAYS (14) → suspended.
Time never cancels: suspended companies wait for Stripe or the platform admin, and
BILLING_CANCELED_RETENTION_DAYS (30) only says when a canceled company's data may go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from shared_apps.tenants.models import Company

State = Company.BillingState

TRANSITIONS: dict[str, frozenset[str]] = {
    State.TRIALING: frozenset({State.ACTIVE, State.PAST_DUE, State.READ_ONLY, State.CANCELED}),
    State.ACTIVE: frozenset({State.PAST_DUE, State.CANCELED}),
    State.PAST_DUE: frozenset({State.ACTIVE, State.READ_ONLY, State.CANCELED}),
    State.READ_ONLY: frozenset({State.ACTIVE, State.SUSPENDED, State.CANCELED}),
    State.SUSPENDED: frozenset({State.ACTIVE, State.CANCELED}),
    State.CANCELED: frozenset(),
}

# Reasons the system gives (free text comes from the platform admin and receivers).
REASON_TRIAL_EXPIRED = "trial_expired"
REASON_GRACE_EXPIRED = "past_due_grace_expired"
REASON_READ_ONLY_EXPIRED = "read_only_period_expired"

SOURCE_SCHEDULE = "schedule"
SOURCE_RECONCILE = "reconcile"
SOURCE_ADMIN = "admin"
WEBHOOK_PREFIX = "webhook:"


def transition_allowed(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def source_valid(source: str) -> bool:
    """True for "schedule", "reconcile", "admin" and "webhook:<event id>"."""
    if source.startswith(WEBHOOK_PREFIX):
        event_id = source.removeprefix(WEBHOOK_PREFIX)
        return bool(event_id) and not any(ch.isspace() for ch in event_id)
    return source in (SOURCE_SCHEDULE, SOURCE_RECONCILE, SOURCE_ADMIN)


def past_due_grace() -> timedelta:
    return timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)


def read_only_period() -> timedelta:
    return timedelta(days=settings.BILLING_READ_ONLY_DAYS)


def canceled_retention() -> timedelta:
    return timedelta(days=settings.BILLING_CANCELED_RETENTION_DAYS)


@dataclass(frozen=True)
class Due:
    to: str
    reason: str


def due_move(company: Company, *, now: datetime) -> Due | None:
    """The move time makes due for `company` at `now`, if any."""
    state, since = company.billing_state, company.billing_state_changed_at
    if state == State.TRIALING:
        if company.trial_ends_at is not None and company.trial_ends_at <= now:
            return Due(State.READ_ONLY, REASON_TRIAL_EXPIRED)
    elif state == State.PAST_DUE:
        if since + past_due_grace() <= now:
            return Due(State.READ_ONLY, REASON_GRACE_EXPIRED)
    elif state == State.READ_ONLY and since + read_only_period() <= now:
        return Due(State.SUSPENDED, REASON_READ_ONLY_EXPIRED)
    return None
