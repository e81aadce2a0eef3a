"""Pipelines and stages: company configuration, for owners and admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Deal, Pipeline, Stage
from tenant_apps.crm.services.common import (
    created_changes,
    fields_assign,
    full_clean,
    record_audit,
)
from tenant_apps.crm.services.deals import status_for
from tenant_apps.history.models import AuditEvent

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@transaction.atomic
def pipeline_create(*, actor: User, name: str, is_default: bool = False) -> Pipeline:
    """A new pipeline; made the default, it takes over from the previous default."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    pipeline = Pipeline(name=name.strip(), is_default=is_default)
    full_clean(pipeline, exclude=["is_default"])
    if is_default:
        for previous in Pipeline.objects.select_for_update().filter(is_default=True):
            previous.is_default = False
            previous.save(update_fields=["is_default", "updated_at"])
            record_audit(
                actor=actor,
                action="crm.pipeline.updated",
                target=previous,
                changes={"is_default": [True, False]},
            )
    pipeline.save()
    record_audit(
        actor=actor,
        action="crm.pipeline.created",
        target=pipeline,
        changes=created_changes(pipeline, ["name", "is_default"]),
    )
    return pipeline


@transaction.atomic
def stage_create(
    *,
    actor: User,
    pipeline: Pipeline,
    name: str,
    win_probability: int = 0,
    is_won: bool = False,
    is_lost: bool = False,
    position: int | None = None,
) -> Stage:
    """A stage of `pipeline`, by default after its last stage."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()  # serialise positions
    if position is None:
        last = pipeline.stages.aggregate(last=Max("position"))["last"]
        position = (last or 0) + 1
    stage = Stage(
        pipeline=pipeline,
        name=name.strip(),
        position=position,
        win_probability=win_probability,
        is_won=is_won,
        is_lost=is_lost,
    )
    full_clean(stage)
    stage.save()
    record_audit(
        actor=actor,
        action="crm.stage.created",
        target=stage,
        changes=created_changes(
            stage, ["pipeline", "name", "position", "win_probability", "is_won", "is_lost"]
        ),
    )
    return stage


def _pipeline_locked(pipeline: Pipeline) -> Pipeline:
    return Pipeline.objects.select_for_update().get(pk=pipeline.pk)


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, actor: User, name: str) -> Pipeline:
    """Rename a pipeline."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = _pipeline_locked(pipeline)
    diff = fields_assign(current, {"name": name.strip()}, allowed=["name"])
    full_clean(current, exclude=["is_default"])
    if diff:
        current.save(update_fields=["name", "updated_at"])
        record_audit(actor=actor, action="crm.pipeline.updated", target=current, changes=diff)
    return current


@transaction.atomic
def pipeline_set_default(*, pipeline: Pipeline, actor: User) -> Pipeline:
    """Make `pipeline` the default (new deals start there); the previous default stops
    being one."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    locked = list(Pipeline.objects.select_for_update().filter(is_default=True))
    current = _pipeline_locked(pipeline)
    if current.is_default:
        return current
    for previous in locked:
        previous.is_default = False
        previous.save(update_fields=["is_default", "updated_at"])
        record_audit(
            actor=actor,
            action="crm.pipeline.updated",
            target=previous,
            changes={"is_default": [True, False]},
        )
    current.is_default = True
    current.save(update_fields=["is_default", "updated_at"])
    record_audit(
        actor=actor,
        action="crm.pipeline.updated",
        target=current,
        changes={"is_default": [False, True]},
    )
    return current


@transaction.atomic
def pipeline_delete(*, pipeline: Pipeline, actor: User) -> None:
    """Delete a pipeline and its stages. Refused while it has deals (deleted ones in the
    bin count too: they can be restored), while it is the default, or when it is the last."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = _pipeline_locked(pipeline)
    deals = Deal.objects.filter(pipeline=current).count()
    if deals:
        raise ValidationError(
            ngettext(
                "This pipeline has %(count)d deal (deleted deals count too): move or delete "
                "it for good first.",
                "This pipeline has %(count)d deals (deleted deals count too): move or delete "
                "them for good first.",
                deals,
            )
            % {"count": deals},
            code="pipeline_has_deals",
        )
    if current.is_default:
        raise ValidationError(
            _("This is the default pipeline: make another one the default first."),
            code="pipeline_is_default",
        )
    record_audit(
        actor=actor,
        action="crm.pipeline.deleted",
        target=current,
        changes={"name": [current.name, None]},
    )
    current.delete()


_STAGE_FIELDS = ("name", "win_probability", "is_won", "is_lost")


@transaction.atomic
def stage_update(*, stage: Stage, actor: User, **changes: Any) -> Stage:
    """Rename a stage, change its win probability or its won/lost marker. The deals in a
    stage whose marker changes take the status it now implies (as a move would)."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    _pipeline_locked(stage.pipeline)
    current = Stage.objects.select_for_update().get(pk=stage.pk)
    values = dict(changes)
    if isinstance(values.get("name"), str):
        values["name"] = values["name"].strip()
    diff = fields_assign(current, values, allowed=_STAGE_FIELDS)
    full_clean(current)
    if not diff:
        return current
    current.save()
    if "is_won" in diff or "is_lost" in diff:
        status = status_for(current)
        moved = (
            Deal.objects.filter(stage=current)
            .exclude(status=status)
            .update(status=status, version=F("version") + 1, updated_at=timezone.now())
        )
        if moved:
            diff["deals_status"] = [None, {"status": status, "deals": moved}]
    record_audit(actor=actor, action="crm.stage.updated", target=current, changes=diff)
    return current


@transaction.atomic
def stage_move(*, stage: Stage, actor: User, direction: str) -> Stage:
    """Swap a stage with its neighbour before (`"up"`) or after (`"down"`) it."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move a stage up or down.")})
    _pipeline_locked(stage.pipeline)
    current = Stage.objects.get(pk=stage.pk)
    siblings = Stage.objects.filter(pipeline_id=current.pipeline_id)
    if direction == "up":
        neighbour = siblings.filter(position__lt=current.position).order_by("-position").first()
    else:
        neighbour = siblings.filter(position__gt=current.position).order_by("position").first()
    if neighbour is None:
        return current
    mine, theirs = current.position, neighbour.position
    # positions are unique per pipeline: park this stage past the end while swapping
    parked = (siblings.aggregate(last=Max("position"))["last"] or 0) + 1
    Stage.objects.filter(pk=current.pk).update(position=parked)
    Stage.objects.filter(pk=neighbour.pk).update(position=mine, updated_at=timezone.now())
    Stage.objects.filter(pk=current.pk).update(position=theirs, updated_at=timezone.now())
    current.position = theirs
    record_audit(
        actor=actor, action="crm.stage.moved", target=current, changes={"position": [mine, theirs]}
    )
    record_audit(
        actor=actor,
        action="crm.stage.moved",
        target=neighbour,
        changes={"position": [theirs, mine]},
    )
    return current


@transaction.atomic
def stage_delete(*, stage: Stage, actor: User, move_to: Stage | None = None) -> None:
    """Delete a stage. Its deals (deleted ones too) must go somewhere: to `move_to`, another
    stage of the same pipeline, and take that stage's status. A pipeline keeps at least one
    stage."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    _pipeline_locked(stage.pipeline)
    current = Stage.objects.get(pk=stage.pk)
    if not Stage.objects.filter(pipeline_id=current.pipeline_id).exclude(pk=current.pk).exists():
        raise ValidationError(_("A pipeline needs at least one stage."), code="last_stage")
    deals = Deal.objects.filter(stage=current)
    count = deals.count()
    changes: dict[str, list[Any]] = {"name": [current.name, None]}
    if count:
        if move_to is None:
            raise ValidationError(
                {
                    "move_to": ngettext(
                        "This stage has %(count)d deal: choose a stage to move it to.",
                        "This stage has %(count)d deals: choose a stage to move them to.",
                        count,
                    )
                    % {"count": count}
                },
                code="stage_has_deals",
            )
        if move_to.pk == current.pk or move_to.pipeline_id != current.pipeline_id:
            raise ValidationError(
                {"move_to": _("Choose another stage of the same pipeline.")}, code="move_to"
            )
        now = timezone.now()
        moved_ids = list(deals.values_list("pk", flat=True))
        deals.update(
            stage=move_to,
            status=status_for(move_to),
            stage_changed_at=now,
            version=F("version") + 1,
            updated_at=now,
        )
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor=actor,
                action="crm.deal.stage_moved",
                object_type="crm.deal",
                object_id=str(pk),
                changes={"stage": [current.pk, move_to.pk]},
            )
            for pk in moved_ids
        )
        changes["deals_moved_to"] = [None, {"stage": move_to.pk, "deals": count}]
    record_audit(actor=actor, action="crm.stage.deleted", target=current, changes=changes)
    current.delete()
