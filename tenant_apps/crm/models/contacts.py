from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models.base import (
    CrmModel,
    RecordModel,
    list_sort_indexes,
    one_of,
    search_indexes,
)
from tenant_apps.crm.models.organizations import Organization
from tenant_apps.crm.models.tags import Tag
from tenant_apps.crm.validators import PHONE_RE, phone_validator


class LifecycleStage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "customer", _("Customer")
    CHURNED = "churned", _("Churned")


class Contact(RecordModel):
    LifecycleStage = LifecycleStage

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("organization"),
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=16,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    # Copies of the primary email (else the first by id) and the first phone, NULL when there
    # is none, kept by the services on every write of those lists (crm.contact_points) so
    # that the contact list sorts and shows them from this row and an index.
    primary_email = models.EmailField(_("email"), null=True, blank=True, editable=False)
    primary_phone = models.CharField(
        _("phone"), max_length=16, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            one_of("lifecycle_stage", LifecycleStage.values, "crm_contact_lifecycle_valid"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="crm_contact_version_positive"
            ),
        ]
        indexes = [
            models.Index(Lower("last_name"), Lower("first_name"), name="crm_contact_name_idx"),
            models.Index(fields=["organization"], name="crm_contact_org_idx"),
            models.Index(fields=["owner"], name="crm_contact_owner_idx"),
            models.Index(
                fields=["deleted_at"],
                name="crm_contact_deleted_idx",
                condition=models.Q(deleted_at__isnull=False),
            ),
            *search_indexes("crm_contact"),
            # The contact list (tenant_apps/crm/listing): keyset pages sorted by name or by
            # creation (key + id). `last_name` is included so that PostgreSQL can skip to an
            # offset page with an index-only scan (it cannot for an expression alone).
            models.Index(
                Lower("last_name"),
                F("id"),
                include=["last_name"],
                name="crm_contact_list_name_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="crm_contact_list_created_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
            # the list's other sorts (crm.listing)
            *list_sort_indexes(
                "crm_contact_list",
                lower=[("first_name", "first"), ("job_title", "title"), ("source", "source")],
                plain=[
                    ("primary_email", "email"),
                    ("primary_phone", "phone"),
                    ("lifecycle_stage", "lifecycle"),
                    ("do_not_contact", "dnc"),
                    ("updated_at", "updated"),
                ],
            ),
            # the lifecycle stage filter: its count, and its pages sorted by creation
            models.Index(
                fields=["lifecycle_stage", "created_at", "id"],
                name="crm_contact_list_stage_idx",
                condition=models.Q(deleted_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    SEARCH_FIELDS = frozenset({"first_name", "last_name", "job_title"})

    def search_parts(self) -> list[str]:
        """Names and job title, then the saved emails and phones (two queries; a new contact
        has none yet). The services use `search_parts_with` and the lists they hold."""
        if self.pk is None:
            return self.search_parts_with([], [])
        return self.search_parts_with(
            self.emails.values_list("email", flat=True),
            self.phones.values_list("number", flat=True),
        )

    def search_parts_with(self, emails: Iterable[str], numbers: Iterable[str]) -> list[str]:
        """`search_parts` from the contact's emails (primary first) and phone numbers."""
        return [self.first_name, self.last_name, self.job_title, *emails, *numbers]


class ContactEmail(CrmModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = _("email address")
        verbose_name_plural = _("email addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(is_primary=True),
                name="crm_contact_one_primary_email",
                violation_error_message=_("A contact can have only one primary email."),
            ),
            models.UniqueConstraint("contact", Lower("email"), name="crm_contact_email_unique"),
        ]
        indexes = [models.Index(Lower("email"), name="crm_contact_email_lower_idx")]

    def __str__(self) -> str:
        return self.email


class ContactPhone(CrmModel):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    # Normalised: "+" and digits only (see validators.phone_normalize).
    number = models.CharField(_("number"), max_length=16, validators=[phone_validator])
    label = models.CharField(_("label"), max_length=32, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__regex=PHONE_RE), name="crm_contact_phone_e164"
            ),
        ]
        indexes = [models.Index(fields=["number"], name="crm_contact_phone_idx")]

    def __str__(self) -> str:
        return self.number
