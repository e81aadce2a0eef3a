"""Pipelines and stages: company configuration, for owners and admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Max

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Pipeline, Stage
from tenant_apps.crm.services.common import created_changes, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@transaction.atomic
def pipeline_create(*, actor: User, name: str, is_default: bool = False) -> Pipeline:
    """A new pipeline; made the default, it takes over from the previous default."""
    crm_access(actor=actor, action="configure")
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
    crm_access(actor=actor, action="configure")
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
