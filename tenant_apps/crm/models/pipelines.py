from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import CrmModel


class Pipeline(CrmModel):
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="crm_pipeline_one_default",
                violation_error_message=_("Only one pipeline can be the default."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(CrmModel):
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"))
    win_probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won stage"), default=False)
    is_lost = models.BooleanField(_("lost stage"), default=False)

    class Meta:
        ordering = ["pipeline_id", "position"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(
                fields=["pipeline", "position"],
                name="crm_stage_position_unique",
                violation_error_message=_("Another stage of this pipeline has this position."),
            ),
            models.CheckConstraint(
                condition=models.Q(win_probability__gte=0, win_probability__lte=100),
                name="crm_stage_probability_range",
                violation_error_message=_("The win probability must be between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_lost=True),
                name="crm_stage_not_won_and_lost",
                violation_error_message=_("A stage cannot be both won and lost."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
