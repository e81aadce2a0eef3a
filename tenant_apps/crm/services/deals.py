"""Deal writes. The stage must belong to the deal's pipeline; the status follows the stage's
won/lost markers; every stage change sets `stage_changed_at`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import (
    Contact,
    CustomFieldEntity,
    Deal,
    DealStatus,
    LostReason,
    Pipeline,
    Stage,
)
from tenant_apps.crm.record_fields import DEAL_FIELDS, DealChanges, DealFields
from tenant_apps.crm.services.common import (
    ErrorDict,
    created_changes,
    custom_fields_clean,
    field_try,
    fields_assign,
    json_value,
    locked_current,
    record_audit,
    record_changed,
    record_validate,
    restore,
    soft_delete,
    text_normalize,
)
from tenant_apps.crm.validators import number_parse

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

LOST_REASON_MAX = 300


def _amount(value: Any) -> Decimal:
    """A Decimal or int as it is; text as a person types it in the active language
    (`12,500.50`, `12 500,50`, `1.234,56`; see validators.number_parse)."""
    if isinstance(value, str) and value.strip():
        try:
            return number_parse(value)
        except ValidationError as exc:
            if exc.code != "invalid_number":  # ambiguous: its own message says how to write it
                raise
        amount = None
    else:
        try:
            amount = Decimal(str(value)) if isinstance(value, Decimal | int | float) else None
        except InvalidOperation:
            amount = None
    if isinstance(value, bool) or amount is None or not amount.is_finite():
        raise ValidationError(_("Enter an amount, e.g. 1250.00."), code="invalid_amount")
    return amount


def _date(value: Any) -> Any:
    if value is None or hasattr(value, "isoformat"):
        return value
    try:
        parsed = parse_date(str(value)) if value else None
    except ValueError:  # well formed but impossible, e.g. 30 February
        parsed = None
    if value and parsed is None:
        raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."), code="invalid_date")
    return parsed


def status_for(stage: Stage) -> str:
    if stage.is_won:
        return DealStatus.WON
    if stage.is_lost:
        return DealStatus.LOST
    return DealStatus.OPEN


def lost_reason_check(*, deal: Deal) -> None:
    """A deal that becomes lost says why, with one of the company's reasons when it keeps a
    list (CRM settings); an archived reason is no longer offered."""
    if deal.status != DealStatus.LOST:
        return
    choice = deal.lost_reason_choice
    if choice is not None:
        if choice.archived:
            raise ValidationError(
                {"lost_reason_choice": _("This reason is no longer offered. Choose another one.")},
                code="lost_reason_archived",
            )
        return
    if LostReason.objects.filter(archived=False).exists():
        raise ValidationError(
            {"lost_reason_choice": _("Choose why the deal was lost.")},
            code="lost_reason_required",
        )


def _reopened(deal: Deal, old_status: str, diff: dict[str, list[Any]]) -> None:
    """A deal that leaves the lost state forgets why it was lost (the audit row keeps it)."""
    if old_status != DealStatus.LOST or deal.status == DealStatus.LOST:
        return
    if deal.lost_reason_choice_id is not None:
        diff["lost_reason_choice"] = [deal.lost_reason_choice_id, None]
        deal.lost_reason_choice = None
    if deal.lost_reason:
        diff["lost_reason"] = [deal.lost_reason, ""]
        deal.lost_reason = ""


def _prepare(values: dict[str, Any]) -> tuple[dict[str, Any], ErrorDict]:
    values = dict(values)
    text_normalize(values, ("name", "lost_reason", "currency"))
    errors: ErrorDict = {}
    if "amount" in values:
        raw = values["amount"]
        values["amount"] = field_try(errors, "amount", lambda: _amount(raw))
    if values.get("currency"):
        values["currency"] = values["currency"].upper()
    if "expected_close_date" in values:
        raw_date = values["expected_close_date"]
        values["expected_close_date"] = field_try(
            errors, "expected_close_date", lambda: _date(raw_date)
        )
    if "custom_fields" in values:
        raw_cf = values["custom_fields"] or {}
        cleaned = field_try(
            errors,
            "custom_fields",
            lambda: custom_fields_clean(entity=CustomFieldEntity.DEAL, values=raw_cf),
        )
        values["custom_fields"] = cleaned if cleaned is not None else {}
    return values, errors


def _contacts_check(contacts: Sequence[Contact]) -> None:
    if any(c.deleted_at is not None for c in contacts):
        raise ValidationError({"contacts": _("A chosen contact has been deleted.")})


@transaction.atomic
def deal_create(
    *,
    actor: User,
    name: str,
    pipeline: Pipeline,
    stage: Stage | None = None,
    contacts: Sequence[Contact] = (),
    **fields: Unpack[DealFields],
) -> Deal:
    """A deal in `stage` (by default the pipeline's first stage). The status follows the
    stage's won/lost markers unless `status` is given."""
    crm_access(actor=actor, action=Action.RECORD_CREATE)
    if stage is None:
        stage = pipeline.stages.order_by("position").first()
    values, errors = _prepare(
        {"name": name, "pipeline": pipeline, "stage": stage, "custom_fields": {}, **fields}
    )
    if stage is None:
        errors.setdefault("stage", []).append(ValidationError(_("This pipeline has no stages.")))
    deal = Deal()
    fields_assign(deal, values, allowed=DEAL_FIELDS)
    if stage is not None and "status" not in fields:
        deal.status = status_for(stage)
    deal.stage_changed_at = timezone.now()
    record_validate(deal, values=values, errors=errors)
    lost_reason_check(deal=deal)
    _contacts_check(contacts)
    deal.save()
    changes = created_changes(deal, values)
    changes["status"] = [None, deal.status]
    if contacts:
        deal.contacts.set(contacts)
        changes["contacts"] = [None, sorted(c.pk for c in contacts)]
    record_audit(actor=actor, action="crm.deal.created", target=deal, changes=changes)
    return deal


@transaction.atomic
def deal_update(
    *,
    deal: Deal,
    actor: User,
    expected_version: int,
    contacts: Sequence[Contact] | None = None,
    **changes: Unpack[DealChanges],
) -> Deal:
    """Edit fields. A new stage (or pipeline) goes through the same rules as
    `deal_move_stage`: the status follows the stage (unless `status` is given too) and
    `stage_changed_at` is set."""
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = locked_current(deal, expected_version=expected_version)
    old_status = current.status
    values, errors = _prepare(dict(changes))
    diff = fields_assign(current, values, allowed=DEAL_FIELDS)
    if "stage" in diff:
        new_status = values.get("status") or status_for(current.stage)
        if new_status != current.status:
            diff["status"] = [current.status, new_status]
            current.status = new_status
        current.stage_changed_at = timezone.now()
    record_validate(current, values=values, errors=errors)
    if current.status != old_status or "lost_reason_choice" in diff:
        lost_reason_check(deal=current)
        _reopened(current, old_status, diff)
    if contacts is not None:
        _contacts_check(contacts)
        old_ids = sorted(current.contacts.values_list("pk", flat=True))
        new_ids = sorted(c.pk for c in contacts)
        if old_ids != new_ids:
            current.contacts.set(contacts)
            diff["contacts"] = [old_ids, new_ids]
    return record_changed(current=current, actor=actor, diff=diff)


@transaction.atomic
def deal_move_stage(
    *,
    deal: Deal,
    stage: Stage,
    actor: User,
    expected_version: int | None = None,
    lost_reason: str | None = None,
    lost_reason_choice: LostReason | None = None,
) -> Deal:
    """Move a deal to another stage of its pipeline (the board's drag and drop). The status
    becomes won or lost from the stage's markers, otherwise open. Without `expected_version`
    the move applies to the deal as it is now (a move is not an edit of other fields).

    A move to a lost stage needs one of the company's lost reasons (`lost_reason_choice`)
    when the company keeps a list, plus optional free text (`lost_reason`); a move out of
    the lost state clears both."""
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = locked_current(
        deal,
        expected_version=(
            expected_version
            if expected_version is not None
            else Deal.objects.values_list("version", flat=True).get(pk=deal.pk)
        ),
    )
    if stage.pipeline_id != current.pipeline_id:
        raise ValidationError(
            {"stage": _("Choose a stage of the deal's pipeline.")}, code="stage_pipeline"
        )
    if stage.pk == current.stage_id:
        return current
    diff: dict[str, list[Any]] = {"stage": [current.stage_id, stage.pk]}
    old_status = current.status
    current.stage = stage
    new_status = status_for(stage)
    if new_status != current.status:
        diff["status"] = [current.status, new_status]
        current.status = new_status
    if new_status == DealStatus.LOST:
        if (
            lost_reason_choice is not None
            and lost_reason_choice.pk != current.lost_reason_choice_id
        ):
            diff["lost_reason_choice"] = [current.lost_reason_choice_id, lost_reason_choice.pk]
            current.lost_reason_choice = lost_reason_choice
        if lost_reason is not None and lost_reason.strip() != current.lost_reason:
            diff["lost_reason"] = [current.lost_reason, lost_reason.strip()]
            current.lost_reason = lost_reason.strip()
        if old_status != DealStatus.LOST:
            lost_reason_check(deal=current)
        if len(current.lost_reason) > LOST_REASON_MAX:
            raise ValidationError(
                {"lost_reason": _("Keep it under %(n)s characters.") % {"n": LOST_REASON_MAX}},
                code="lost_reason_long",
            )
    _reopened(current, old_status, diff)
    old_changed = current.stage_changed_at
    current.stage_changed_at = timezone.now()
    diff["stage_changed_at"] = [json_value(old_changed), json_value(current.stage_changed_at)]
    current.version += 1
    current.save()
    record_audit(actor=actor, action="crm.deal.stage_moved", target=current, changes=diff)
    return current


@transaction.atomic
def deal_delete(*, deal: Deal, actor: User) -> Deal:
    """Soft delete, restorable for 30 days with `deal_restore`."""
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    return soft_delete(instance=deal, actor=actor)


@transaction.atomic
def deal_restore(*, deal: Deal, actor: User) -> Deal:
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    return restore(instance=deal, actor=actor)
