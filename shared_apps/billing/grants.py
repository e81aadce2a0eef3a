"""Complimentary plans: the platform owner puts a company on a plan without Stripe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.audit.services import platform_event_record
from shared_apps.billing import state
from shared_apps.billing.models import REASON_MAX_LENGTH, Plan
from shared_apps.billing.services import billing_plan_change, billing_state_force
from shared_apps.billing.stripe_read import LIVE_STATUSES, company_subscription
from shared_apps.tenants.models import Company

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

State = Company.BillingState
COMPLIMENTARY_GRANTED = "billing.complimentary_granted"


@transaction.atomic
def billing_complimentary_grant(
    *, company: Company, plan: Plan, reason: str, actor: User
) -> Company:
    """Put `company` on `plan` free of charge and make it `active` (out of a trial, grace,
    read-only, suspension or cancellation). With no Stripe subscription nothing moves it
    again but the platform admin or a subscription the company takes out later.

    Refused (ValidationError) without a reason or an actor, for the trial plan (extend the
    trial instead), and for a company whose Stripe subscription is still live: Stripe would
    keep charging it, so that subscription is canceled first."""
    errors: dict[str, str] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = _("Give a reason for the change.")
    elif len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = _("The reason is too long.")
    if plan.is_trial:
        errors["plan"] = _("The trial cannot be granted; extend the trial instead.")
    if errors:
        raise ValidationError(errors)
    if actor is None:
        raise ValidationError(_("A complimentary plan needs the person who grants it."))
    locked = Company.objects.select_for_update().get(pk=company.pk)
    subscription = company_subscription(company=locked)
    if subscription is not None and (subscription.stripe_data or {}).get("status") in (
        LIVE_STATUSES
    ):
        raise ValidationError(
            _(
                "%(company)s has a live Stripe subscription (%(id)s): cancel it in Stripe "
                "before granting a complimentary plan."
            )
            % {"company": locked.name, "id": subscription.id},
            code="live_subscription",
        )
    old_plan = locked.plan.slug if locked.plan is not None else None
    old_state = locked.billing_state
    billing_plan_change(
        company=locked, plan=plan, reason=reason, source=state.SOURCE_ADMIN, actor=actor
    )
    if locked.billing_state != State.ACTIVE:
        billing_state_force(company=locked, to=State.ACTIVE, reason=reason, actor=actor)
    platform_event_record(
        actor=actor,
        action=COMPLIMENTARY_GRANTED,
        target=locked,
        company=locked,
        data={
            "plan": [old_plan, plan.slug],
            "state": [old_state, locked.billing_state],
            "reason": reason,
        },
    )
    for name in ("plan", "billing_state", "billing_state_changed_at", "trial_ends_at"):
        setattr(company, name, getattr(locked, name))
    return locked
