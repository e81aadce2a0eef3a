"""Billing writes: plans, a new company's trial, and moves of a company's billing state.

Every write has an actor (None: the system) and a PlatformEvent audit row. Moves are
idempotent and ordered by the time they took effect, so a webhook delivered twice, late or
out of order changes nothing it should not; `billing_state_changed` is sent after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shared_apps.audit.services import platform_event_record
from shared_apps.billing import state
from shared_apps.billing.models import REASON_MAX_LENGTH, BillingStateChange, Plan
from shared_apps.billing.selectors import billing_due_moves, plan_trial_get
from shared_apps.billing.signals import billing_state_changed
from shared_apps.tenants.models import Company

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

logger = logging.getLogger(__name__)

State = Company.BillingState

# What the platform admin may set on a plan. `slug` and `is_trial` are fixed at creation:
# the slug names the plan to Stripe metadata and URLs, and the trial plan must always exist.
PLAN_EDITABLE_FIELDS = (
    "name_en",
    "name_bg",
    "description_en",
    "description_bg",
    "stripe_price_monthly",
    "stripe_price_yearly",
    "currency",
    "price_monthly_cents",
    "price_yearly_cents",
    "seats",
    "contacts",
    "storage_mb",
    "ai_requests_per_month",
    "api_requests_per_minute",
    "features",
    "is_public",
    "sort_order",
    "trial_days",
)
PLAN_CREATE_FIELDS = ("slug", "is_trial", *PLAN_EDITABLE_FIELDS)


class BillingTransitionRefused(ValidationError):
    """The state machine does not allow this move (see state.TRANSITIONS)."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(
            _("A company cannot move from “%(old)s” to “%(new)s”.")
            % {"old": State(old).label, "new": State(new).label},
            code="transition_refused",
        )
        self.old = old
        self.new = new


# --- Plans -----------------------------------------------------------------------------------


@transaction.atomic
def plan_create(*, actor: User | None, **fields: Any) -> Plan:
    unknown = set(fields) - set(PLAN_CREATE_FIELDS)
    if unknown:
        raise TypeError(f"plan_create() got unknown fields: {sorted(unknown)}")
    plan = Plan(**fields)
    plan.full_clean()
    plan.save()
    platform_event_record(
        actor=actor,
        action="billing.plan_created",
        target=plan,
        data={"fields": {name: getattr(plan, name) for name in PLAN_CREATE_FIELDS}},
    )
    return plan


@transaction.atomic
def plan_update(*, plan: Plan, actor: User | None, **changes: Any) -> Plan:
    """Set the given fields; the audit row lists each changed field as [old, new].

    Values equal to the stored ones are not changes: saving an unchanged admin form
    writes nothing."""
    unknown = set(changes) - set(PLAN_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These plan fields cannot be changed: %(names)s.")
            % {"names": ", ".join(sorted(unknown))},
            code="not_editable",
        )
    current = Plan.objects.select_for_update().get(pk=plan.pk)
    changed: dict[str, list[Any]] = {}
    for name, value in changes.items():
        old = getattr(current, name)
        if old != value:
            changed[name] = [old, value]
            setattr(current, name, value)
    if not changed:
        return current
    current.full_clean()
    current.save(update_fields=[*changed, "updated_at"])
    platform_event_record(
        actor=actor, action="billing.plan_updated", target=current, data={"changed": changed}
    )
    return current


# --- A new company's trial -----------------------------------------------------------------


def billing_trial_start(*, company: Company, at: datetime | None = None) -> Plan:
    """Put a company that is being provisioned (not saved yet) on the trial plan.

    Sets the fields only; the caller's insert stores them, so provisioning pays one query
    (the trial plan) and no extra write. Raises Plan.DoesNotExist without a trial plan."""
    at = at or timezone.now()
    trial = plan_trial_get()
    company.plan = trial
    company.billing_state = State.TRIALING
    company.billing_state_changed_at = at
    company.trial_ends_at = at + timedelta(days=trial.trial_days or 0)
    return trial


# --- State moves ----------------------------------------------------------------------------


def _check_move(*, reason: str, source: str, to: str | None = None) -> str:
    """The cleaned reason; ValidationError naming each bad argument."""
    errors: dict[str, str] = {}
    if to is not None and to not in State.values:
        errors["to"] = _("“%(value)s” is not a billing state.") % {"value": to}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give a reason for the change.")
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = _("The reason is too long.")
    if not state.source_valid(source):
        errors["source"] = _(
            "The source must be “schedule”, “reconcile”, “admin” or “webhook:<event id>”."
        )
    if errors:
        raise ValidationError(errors)
    return reason


def _lock(company: Company) -> Company:
    return Company.objects.select_for_update().get(pk=company.pk)


def _send_changed(*, company: Company, old: str, new: str, change: BillingStateChange) -> None:
    results = billing_state_changed.send_robust(
        sender=BillingStateChange, company=company, old=old, new=new, change=change
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "billing_state_changed receiver %r failed for company %s",
                receiver,
                company.pk,
                exc_info=result,
            )


def _record(
    *,
    company: Company,
    locked: Company,
    to: str,
    reason: str,
    source: str,
    actor: User | None,
    at: datetime,
    forced: bool = False,
    trial_ends_at: datetime | None = None,
) -> BillingStateChange:
    """Apply a checked move to the locked row, keep its history, audit it, and send the
    signal after commit. `company` (the caller's instance) is updated to match."""
    old = locked.billing_state
    locked.billing_state = to
    locked.billing_state_changed_at = at
    fields = ["billing_state", "billing_state_changed_at", "updated_at"]
    if trial_ends_at is not None:
        locked.trial_ends_at = trial_ends_at
        fields.append("trial_ends_at")
    # save() (not a queryset update) so routing's cached copy of the company is dropped.
    locked.save(update_fields=fields)
    change = BillingStateChange.objects.create(
        company=locked,
        from_state=old,
        to_state=to,
        reason=reason,
        source=source,
        forced=forced,
        actor=actor,
        at=at,
    )
    data: dict[str, Any] = {
        "from": old,
        "to": to,
        "reason": reason,
        "source": source,
        "at": at.isoformat(),
    }
    if trial_ends_at is not None:
        data["trial_ends_at"] = trial_ends_at.isoformat()
    platform_event_record(
        actor=actor,
        action="billing.state_forced" if forced else "billing.state_moved",
        target=locked,
        company=locked,
        data=data,
    )
    for name in ("billing_state", "billing_state_changed_at", "trial_ends_at", "updated_at"):
        setattr(company, name, getattr(locked, name))
    logger.info("billing: company %s %s -> %s (%s, %s)", locked.pk, old, to, source, reason)
    transaction.on_commit(partial(_send_changed, company=locked, old=old, new=to, change=change))
    return change


@transaction.atomic
def billing_state_move(
    *,
    company: Company,
    to: str,
    reason: str,
    source: str,
    actor: User | None = None,
    at: datetime | None = None,
) -> BillingStateChange | None:
    """Move `company` to the billing state `to`, as of `at` (default: now).

    Returns the new history row, or None when there is nothing to do:
    - the company is already in `to` (a duplicate or a repeated reconcile);
    - `at` is earlier than the company's last move (an out-of-order or replayed event:
      a newer fact already decided the state);
    - `source` is a webhook event already applied to this company.
    Raises BillingTransitionRefused for a move the rules forbid (state.TRANSITIONS), and
    ValidationError for an unknown state, an empty reason or a malformed source.

    The company row is locked (select_for_update) for the check and the write, so two
    webhooks for one company are applied one after the other.
    """
    reason = _check_move(to=to, reason=reason, source=source)
    at = at or timezone.now()
    locked = _lock(company)
    old = locked.billing_state
    if old == to:
        return None
    if at < locked.billing_state_changed_at:
        logger.info(
            "billing: ignored %s -> %s for company %s from %s: %s is before the last move, %s",
            old,
            to,
            locked.pk,
            source,
            at.isoformat(),
            locked.billing_state_changed_at.isoformat(),
        )
        return None
    if (
        source.startswith(state.WEBHOOK_PREFIX)
        and BillingStateChange.objects.filter(company=locked, source=source).exists()
    ):
        return None
    if not state.transition_allowed(old, to):
        raise BillingTransitionRefused(old, to)
    return _record(
        company=company, locked=locked, to=to, reason=reason, source=source, actor=actor, at=at
    )


@transaction.atomic
def billing_state_force(
    *,
    company: Company,
    to: str,
    reason: str,
    actor: User,
    trial_ends_at: datetime | None = None,
) -> BillingStateChange | None:
    """The platform admin moves `company` to `to` past the rules (e.g. out of canceled).

    A reason is required. Forcing into `trialing` needs a future `trial_ends_at`, and may
    be used on a trialing company to extend its trial. Otherwise forcing the current state
    does nothing (None). The move takes effect now, so it outranks every earlier event."""
    reason = _check_move(to=to, reason=reason, source=state.SOURCE_ADMIN)
    if actor is None:
        raise ValidationError(_("A forced change needs the person who makes it."))
    now = timezone.now()
    if to == State.TRIALING:
        if trial_ends_at is None or trial_ends_at <= now:
            raise ValidationError({"trial_ends_at": _("Enter when the trial ends, in the future.")})
    elif trial_ends_at is not None:
        raise ValidationError({"trial_ends_at": _("Only a trial has an end date.")})
    locked = _lock(company)
    if locked.billing_state == to and (
        to != State.TRIALING or locked.trial_ends_at == trial_ends_at
    ):
        return None
    return _record(
        company=company,
        locked=locked,
        to=to,
        reason=reason,
        source=state.SOURCE_ADMIN,
        actor=actor,
        at=max(now, locked.billing_state_changed_at),
        forced=True,
        trial_ends_at=trial_ends_at,
    )


@transaction.atomic
def _grace_advance_one(*, company: Company, now: datetime) -> BillingStateChange | None:
    locked = _lock(company)
    due = state.due_move(locked, now=now)
    # Checked again under the lock: a payment or an admin may have moved it meanwhile.
    if due is None or now < locked.billing_state_changed_at:
        return None
    assert state.transition_allowed(locked.billing_state, due.to), due
    return _record(
        company=company,
        locked=locked,
        to=due.to,
        reason=due.reason,
        source=state.SOURCE_SCHEDULE,
        actor=None,
        at=now,
    )


def billing_grace_advance(*, now: datetime | None = None) -> list[BillingStateChange]:
    """Make the moves time has made due at `now` (trial over, grace over, read-only period
    over: see state.due_move), as the system with source "schedule".

    Each company moves in its own transaction, so one failure does not hold the others
    back; running it again at the same `now` moves nothing twice."""
    now = now or timezone.now()
    changes = []
    for move in billing_due_moves(now):
        try:
            change = _grace_advance_one(company=move.company, now=now)
        except Exception:
            logger.exception("billing: could not move company %s to %s", move.company.pk, move.to)
            continue
        if change is not None:
            changes.append(change)
    return changes


@transaction.atomic
def billing_plan_change(
    *, company: Company, plan: Plan, reason: str, source: str, actor: User | None = None
) -> bool:
    """Put `company` on `plan` (after checkout, a plan change in the Customer Portal, or by
    the platform admin). True if it changed; False if it already was on it."""
    reason = _check_move(reason=reason, source=source)
    locked = _lock(company)
    if locked.plan_id == plan.pk:
        return False
    old = locked.plan.slug if locked.plan is not None else None
    locked.plan = plan
    locked.save(update_fields=["plan", "updated_at"])
    company.plan = plan
    platform_event_record(
        actor=actor,
        action="billing.plan_changed",
        target=locked,
        company=locked,
        data={"from": old, "to": plan.slug, "reason": reason, "source": source},
    )
    return True
