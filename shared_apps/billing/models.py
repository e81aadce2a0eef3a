"""Plans (what a company may use) and the history of each company's billing state.

The state itself is on `tenants.Company` (`billing_state`, `plan`, `trial_ends_at`,
`billing_state_changed_at`); the rules that move it are in `state.py` and `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from shared_apps.billing.features import FEATURES, validate_features
from shared_apps.tenants.models import Company

validate_stripe_price_id = RegexValidator(
    r"^price_[A-Za-z0-9]+$",
    _("A Stripe price id looks like “price_1AbC…”."),
    code="invalid_price_id",
)
validate_currency = RegexValidator(
    r"^[A-Z]{3}$", _("Enter a three-letter currency code such as EUR."), code="invalid_currency"
)


# The plugin cannot type Company's manager (TenantMixin is untyped), hence the reverse
# `plan.companies` neither.
class Plan(models.Model):  # type: ignore[django-manager-missing]
    """A plan a company can be on: its limits, features, prices and Stripe price ids.

    Names and descriptions are data in both languages (the platform owner edits them in the
    admin), not msgids. Exactly one plan is the trial every new company starts on.
    """

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_bg = models.CharField(_("name (Bulgarian)"), max_length=100)
    description_en = models.CharField(_("description (English)"), max_length=200, blank=True)
    description_bg = models.CharField(_("description (Bulgarian)"), max_length=200, blank=True)

    # Blank until the platform owner creates the prices in Stripe (they differ per account
    # and between test and live mode). Checkout refuses a plan without its price id.
    stripe_price_monthly = models.CharField(
        _("Stripe monthly price id"),
        max_length=100,
        blank=True,
        validators=[validate_stripe_price_id],
    )
    stripe_price_yearly = models.CharField(
        _("Stripe yearly price id"),
        max_length=100,
        blank=True,
        validators=[validate_stripe_price_id],
    )
    # Display prices; Stripe's price objects are what is charged.
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[validate_currency]
    )
    price_monthly_cents = models.PositiveIntegerField(_("monthly price (cents)"), default=0)
    price_yearly_cents = models.PositiveIntegerField(
        _("yearly price (cents)"),
        null=True,
        blank=True,
        help_text=_("Empty: the plan is billed monthly only."),
    )

    seats = models.PositiveIntegerField(
        _("members"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    contacts = models.PositiveIntegerField(
        _("contacts"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    storage_mb = models.PositiveIntegerField(
        _("file storage (MB)"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    ai_requests_per_month = models.PositiveIntegerField(
        _("AI requests per month"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    api_requests_per_minute = models.PositiveIntegerField(
        _("API requests per minute"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    features = models.JSONField(
        _("features"), default=dict, blank=True, validators=[validate_features]
    )

    is_public = models.BooleanField(
        _("listed on the pricing page"), default=False, help_text=_("Trial plans never are.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_trial = models.BooleanField(
        _("trial plan"), default=False, help_text=_("New companies start on it. Exactly one.")
    )
    trial_days = models.PositiveSmallIntegerField(_("trial length (days)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_price_monthly"],
                condition=~models.Q(stripe_price_monthly=""),
                name="plan_stripe_monthly_unique",
                violation_error_message=_("Another plan uses this Stripe price id."),
            ),
            models.UniqueConstraint(
                fields=["stripe_price_yearly"],
                condition=~models.Q(stripe_price_yearly=""),
                name="plan_stripe_yearly_unique",
                violation_error_message=_("Another plan uses this Stripe price id."),
            ),
            models.UniqueConstraint(
                fields=["is_trial"],
                condition=models.Q(is_trial=True),
                name="plan_one_trial",
                violation_error_message=_("There is already a trial plan."),
            ),
            models.CheckConstraint(
                condition=models.Q(is_trial=True, trial_days__gte=1)
                | models.Q(is_trial=False, trial_days__isnull=True),
                name="plan_trial_days_only_on_trial",
                violation_error_message=_(
                    "Only the trial plan has a trial length, of 1 day or more."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(is_trial=False)
                | models.Q(stripe_price_monthly="", stripe_price_yearly="", is_public=False),
                name="plan_trial_not_sold",
                violation_error_message=_("The trial plan is neither sold nor listed."),
            ),
            models.CheckConstraint(
                condition=models.Q(stripe_price_monthly="")
                | ~models.Q(stripe_price_monthly=models.F("stripe_price_yearly")),
                name="plan_stripe_prices_differ",
                violation_error_message=_("The monthly and yearly Stripe prices must differ."),
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        """The name in the active language (English when the other is empty)."""
        return self._localized("name")

    @property
    def description(self) -> str:
        return self._localized("description")

    def _localized(self, field: str) -> str:
        language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
        value = getattr(self, f"{field}_{language}", "") if language != "en" else ""
        return str(value or getattr(self, f"{field}_en"))

    def has_feature(self, name: str) -> bool:
        if name not in FEATURES:
            raise KeyError(name)
        return bool(self.features.get(name, False))

    def clean(self) -> None:
        errors: dict[str, list[ValidationError]] = {}

        def add(field: str, message: StrOrPromise, code: str) -> None:
            errors.setdefault(field, []).append(ValidationError(message, code=code))

        if self.is_trial:
            if not self.trial_days:
                add("trial_days", _("Enter how many days the trial lasts."), "required")
            for field in ("stripe_price_monthly", "stripe_price_yearly"):
                if getattr(self, field):
                    add(field, _("The trial plan is free: it has no Stripe price."), "trial_sold")
            if self.is_public:
                add(
                    "is_public",
                    _("The trial is offered by the sign-up button, not listed as a plan."),
                    "trial_listed",
                )
        elif self.trial_days is not None:
            add("trial_days", _("Only the trial plan has a trial length."), "not_trial")
        if self.stripe_price_yearly and self.price_yearly_cents is None:
            add(
                "price_yearly_cents",
                _("Enter the yearly price shown for the yearly Stripe price."),
                "required",
            )
        # A Stripe price id names one plan and one period, in either column of any plan.
        ids = [self.stripe_price_monthly, self.stripe_price_yearly]
        if ids[0] and ids[0] == ids[1]:
            add(
                "stripe_price_yearly",
                _("The monthly and yearly Stripe prices must differ."),
                "same_price",
            )
        others = Plan.objects.exclude(pk=self.pk)
        for field, price_id in zip(
            ("stripe_price_monthly", "stripe_price_yearly"), ids, strict=True
        ):
            if price_id and (
                others.filter(
                    models.Q(stripe_price_monthly=price_id) | models.Q(stripe_price_yearly=price_id)
                ).exists()
            ):
                add(field, _("Another plan uses this Stripe price id."), "duplicate_price")
        if errors:
            raise ValidationError(errors)


REASON_MAX_LENGTH = 300


class BillingStateChange(models.Model):
    """One move of a company's billing state: from, to, why, who (None: the system), from
    where (`source`: "webhook:<event id>", "reconcile", "schedule", "admin") and when it
    took effect (`at`, e.g. the Stripe event's time; `created_at` is when it was recorded)."""

    company = models.ForeignKey(
        "tenants.Company",
        on_delete=models.CASCADE,
        related_name="billing_state_changes",
        verbose_name=_("company"),
    )
    from_state = models.CharField(_("from"), max_length=16, choices=Company.BillingState.choices)
    to_state = models.CharField(_("to"), max_length=16, choices=Company.BillingState.choices)
    reason = models.CharField(_("reason"), max_length=REASON_MAX_LENGTH)
    source = models.CharField(_("source"), max_length=120)
    forced = models.BooleanField(
        _("forced"), default=False, help_text=_("Made by the platform admin, past the rules.")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("time"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("billing state change")
        verbose_name_plural = _("billing state changes")
        indexes = [
            models.Index(fields=["company", "-at"], name="billing_change_company_idx"),
            # A webhook event already applied to the company is not applied again.
            models.Index(fields=["company", "source"], name="billing_change_source_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.from_state} → {self.to_state}"


class CompanyBilling(Company):
    """The platform admin's billing view of a company (state, plan, history, forced moves).
    A proxy: the fields are Company's."""

    class Meta:
        proxy = True
        ordering = ["name"]
        verbose_name = _("company billing")
        verbose_name_plural = _("company billing")


class UsageCounter(models.Model):
    """How much of a metered limit a company has used.

    Per-period metrics (AI requests) have one row per company, metric and period
    (`period_start`: the first day of the month in Europe/Sofia, see entitlements.py).
    Running totals that never reset (stored bytes) have `period_start` None. Rows are
    changed only by entitlements.py, by conditional updates that never pass the limit.
    """

    class Metric(models.TextChoices):
        AI_REQUESTS = "ai_requests", _("AI requests")
        STORAGE_BYTES = "storage_bytes", _("file storage")

    company = models.ForeignKey(
        "tenants.Company",
        on_delete=models.CASCADE,
        related_name="usage_counters",
        verbose_name=_("company"),
    )
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    used = models.PositiveBigIntegerField(_("used"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["company", "metric", "-period_start"]
        verbose_name = _("usage counter")
        verbose_name_plural = _("usage counters")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "metric", "period_start"],
                name="usage_counter_period_unique",
            ),
            # NULLs are distinct in the constraint above: one running total per metric.
            models.UniqueConstraint(
                fields=["company", "metric"],
                condition=models.Q(period_start__isnull=True),
                name="usage_counter_total_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} {self.metric} {self.period_start}: {self.used}"
