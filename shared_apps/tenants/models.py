from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from shared_apps.tenants.validators import validate_company_name, validate_subdomain


class Company(TenantMixin):
    """A customer company. Its data lives in its own PostgreSQL schema."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")

    class BillingState(models.TextChoices):
        """Where the company stands with billing. Only shared_apps/billing moves it (its
        services check the transitions and keep the history); see billing/state.py."""

        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        READ_ONLY = "read_only", _("Read-only")
        SUSPENDED = "suspended", _("Suspended")
        CANCELED = "canceled", _("Canceled")

    # Provisioning builds the schema itself (see services.company_provision).
    auto_create_schema = False
    auto_drop_schema = False

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, validators=[validate_company_name])
    subdomain = models.CharField(
        _("subdomain"), max_length=63, unique=True, validators=[validate_subdomain]
    )
    billing_email = models.EmailField(_("billing email"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    require_mfa = models.BooleanField(
        _("require two-factor authentication"),
        default=False,
        help_text=_("Members without two-factor authentication must set it up after signing in."),
    )
    # Billing state lives on the company row so routing's cached copy carries it: checking
    # it on every request costs no query. The model names "billing.Plan" without importing
    # billing. Written only by shared_apps/billing/services.py (transitions, history, audit).
    plan = models.ForeignKey(
        "billing.Plan",
        on_delete=models.PROTECT,
        null=True,  # only for rows made outside company_provision (the bench's baseline)
        blank=True,
        related_name="companies",
        verbose_name=_("plan"),
    )
    billing_state = models.CharField(
        _("billing state"),
        max_length=16,
        choices=BillingState.choices,
        default=BillingState.TRIALING,
    )
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    billing_state_changed_at = models.DateTimeField(_("billing state since"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(schema_name__in=["public", "_template"]),
                name="company_schema_not_system",
            ),
        ]
        indexes = [
            # django-tenants checks schema names case-insensitively (UPPER) on every create.
            models.Index(Upper("schema_name"), name="company_schema_upper_idx"),
            # billing_due_moves(): companies whose grace or trial has run out.
            models.Index(
                fields=["billing_state", "billing_state_changed_at"],
                name="company_billing_state_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    @property
    def email(self) -> str:
        """The address Stripe bills (dj-stripe's subscriber model needs `email`)."""
        return str(self.billing_email)


class Domain(DomainMixin):
    """A host name that routes to a company (its subdomain, later custom domains)."""

    class Meta:
        ordering = ["domain"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class SchemaTemplateState(models.Model):
    """The DDL of the template schema, rendered by `migrate_schemas` and replayed by provisioning.

    `state_hash` identifies the set of migrations applied to the template and the renderer's
    source; a new migration or a renderer change gives a new hash, and provisioning refuses
    until `migrate_schemas` has rendered it (see schema_template.py).
    """

    state_hash = models.CharField(max_length=64, unique=True)
    migrations_count = models.PositiveIntegerField()
    ddl = models.TextField()
    data_sql = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.state_hash[:12]
