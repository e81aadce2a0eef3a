"""Reads: plans, the pricing page's offer, and the companies time has made due to move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from shared_apps.billing import state
from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.tenants.models import Company

State = Company.BillingState


def plan_trial_get() -> Plan:
    """The plan every new company starts on (seeded by migration; exactly one may exist).
    Raises Plan.DoesNotExist when there is none."""
    return Plan.objects.get(is_trial=True)


@dataclass(frozen=True)
class PricingOffer:
    plans: list[Plan]  # public paid plans, in sort order
    trial: Plan | None


def pricing_offer() -> PricingOffer:
    """What the pricing page shows, in one query whatever the number of plans."""
    rows = list(
        Plan.objects.filter(Q(is_public=True) | Q(is_trial=True)).order_by("sort_order", "id")
    )
    return PricingOffer(
        plans=[plan for plan in rows if not plan.is_trial],
        trial=next((plan for plan in rows if plan.is_trial), None),
    )


@dataclass(frozen=True)
class DueMove:
    company: Company
    to: str
    reason: str


def billing_due_moves(now: datetime) -> list[DueMove]:
    """Companies that time has made due to move at `now` (see state.due_move), by id.

    One query; the database narrows by state and time (company_billing_state_idx), and
    state.due_move decides, as it does again under the row lock when the move is made."""
    candidates = Company.objects.filter(
        Q(billing_state=State.TRIALING, trial_ends_at__lte=now)
        | Q(
            billing_state=State.PAST_DUE,
            billing_state_changed_at__lte=now - state.past_due_grace(),
        )
        | Q(
            billing_state=State.READ_ONLY,
            billing_state_changed_at__lte=now - state.read_only_period(),
        )
    ).order_by("pk")
    moves = []
    for company in candidates:
        due = state.due_move(company, now=now)
        if due is not None:
            moves.append(DueMove(company=company, to=due.to, reason=due.reason))
    return moves


def billing_retention_expired(now: datetime) -> QuerySet[Company]:
    """Canceled companies past BILLING_CANCELED_RETENTION_DAYS, whose data may be deleted."""
    return Company.objects.filter(
        billing_state=State.CANCELED,
        billing_state_changed_at__lte=now - state.canceled_retention(),
    ).order_by("pk")


def billing_state_history(*, company: Company) -> QuerySet[BillingStateChange]:
    """A company's moves, newest first, with who made them."""
    return BillingStateChange.objects.filter(company=company).select_related("actor")
