from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import (
    CrmModel,
    RecordModel,
    list_sort_indexes,
    one_of,
    search_indexes,
)
from tenant_apps.crm.models.contacts import Contact
from tenant_apps.crm.models.organizations import Organization
from tenant_apps.crm.models.pipelines import Pipeline, Stage
from tenant_apps.crm.validators import CURRENCY_RE, currency_validator


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class LostReason(CrmModel):
    """Why deals are lost: a short list the company's admins keep in CRM settings (seeded
    in the company's language at provisioning). A reason in use is archived, not deleted,
    so that the dashboard's report keeps its lost deals."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="crm_lost_reason_name_ci_unique",
                violation_error_message=_("A lost reason with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Deal(RecordModel):
    Status = DealStatus

    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[currency_validator]
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("organization"),
    )
    contacts = models.ManyToManyField(Contact, blank=True, related_name="deals")
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    # Why a lost deal was lost: one of the company's reasons, and/or free text (details).
    lost_reason_choice = models.ForeignKey(
        LostReason,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        verbose_name=_("lost reason"),
    )
    lost_reason = models.CharField(_("lost reason details"), max_length=300, blank=True)
    stage_changed_at = models.DateTimeField(_("stage changed"), null=True, blank=True)
    # The latest activity or note on the deal (the board flags deals quiet for 14 days).
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0),
                name="crm_deal_amount_not_negative",
                violation_error_message=_("The amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=CURRENCY_RE), name="crm_deal_currency_iso"
            ),
            one_of("status", DealStatus.values, "crm_deal_status_valid"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="crm_deal_version_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["pipeline", "stage"], name="crm_deal_board_idx"),
            models.Index(fields=["organization"], name="crm_deal_org_idx"),
            models.Index(fields=["owner", "status"], name="crm_deal_owner_status_idx"),
            models.Index(fields=["expected_close_date"], name="crm_deal_close_idx"),
            # the dashboard's recent activity: newest created, newest moved
            models.Index(fields=["-created_at"], name="crm_deal_recent_idx"),
            models.Index(fields=["-stage_changed_at"], name="crm_deal_moved_recent_idx"),
            models.Index(
                fields=["deleted_at"],
                name="crm_deal_deleted_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            models.Index(
                fields=["stage", "-amount", "-id"],
                name="crm_deal_stage_column_idx",
                condition=models.Q(deleted_at__isnull=True, status="open"),
            ),
            *search_indexes("crm_deal"),
            # the deal list (tenant_apps/crm/listing): keyset pages sorted by amount, which
            # groups by currency (`(currency, amount, id) > (...)` seeks in these), with and
            # without the status filter (whose count the first one serves too)
            models.Index(
                fields=["status", "currency", "amount", "id"],
                name="crm_deal_list_status_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["currency", "amount", "id"],
                name="crm_deal_list_amount_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # the deal list's other sorts on the deal's own columns (crm.listing)
            *list_sort_indexes(
                "crm_deal_list",
                lower=[("name", "name")],
                plain=[
                    ("currency", "currency"),
                    ("status", "status_id"),
                    ("expected_close_date", "close"),
                    ("last_activity_at", "activity"),
                    ("created_at", "created"),
                    ("updated_at", "updated"),
                ],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    SEARCH_FIELDS = frozenset({"name"})

    def search_parts(self) -> list[str]:
        return [self.name]

    def clean(self) -> None:
        super().clean()
        if self.pipeline_id and self.stage_id and self.stage.pipeline_id != self.pipeline_id:
            raise ValidationError(
                {"stage": _("Choose a stage of the deal's pipeline.")}, code="stage_pipeline"
            )
