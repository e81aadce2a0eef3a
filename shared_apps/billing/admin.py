"""The platform admin for billing: plans, each company's billing state, and the history.

Every save goes through shared_apps/billing/services.py, which checks, audits and (for
state moves) keeps the history: the admin only translates the form into a service call.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import User
from shared_apps.billing.admin_overview import cents, grant_complimentary, overview_view
from shared_apps.billing.features import FEATURES
from shared_apps.billing.metrics import companies_with_mrr
from shared_apps.billing.models import (
    REASON_MAX_LENGTH,
    BillingStateChange,
    CompanyBilling,
    Plan,
)
from shared_apps.billing.pricing import money
from shared_apps.billing.services import (
    PLAN_CREATE_FIELDS,
    PLAN_EDITABLE_FIELDS,
    billing_plan_change,
    billing_state_force,
    plan_create,
    plan_update,
)
from shared_apps.tenants.models import Company

State = Company.BillingState


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# --- Plans -------------------------------------------------------------------------------------


class PlanAdminForm(forms.ModelForm):
    # The JSON object as one checkbox per known feature: an unknown name cannot be typed in.
    features = forms.MultipleChoiceField(
        label=_("features"),
        choices=list(FEATURES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Plan
        fields = ["slug", "is_trial", *PLAN_EDITABLE_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["features"] = [
                name for name, on in (self.instance.features or {}).items() if on
            ]

    def clean_features(self) -> dict[str, bool]:
        chosen = set(self.cleaned_data.get("features") or [])
        return {name: name in chosen for name in FEATURES}


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanAdminForm
    list_display = [
        "name_en",
        "slug",
        "is_public",
        "is_trial",
        "sort_order",
        "monthly",
        "yearly",
        "seats",
        "contacts",
        "storage_mb",
        "ai_requests_per_month",
        "api_requests_per_minute",
        "companies_count",
    ]
    list_filter = ["is_public", "is_trial"]
    ordering = ["sort_order", "id"]
    search_fields = ["slug", "name_en", "name_bg", "stripe_price_monthly", "stripe_price_yearly"]
    fieldsets = [
        (None, {"fields": ["slug", "name_en", "name_bg", "description_en", "description_bg"]}),
        (_("Listing"), {"fields": ["is_public", "sort_order", "is_trial", "trial_days"]}),
        (
            _("Prices"),
            {
                "fields": [
                    "currency",
                    "price_monthly_cents",
                    "price_yearly_cents",
                    "stripe_price_monthly",
                    "stripe_price_yearly",
                ]
            },
        ),
        (
            _("Limits"),
            {
                "description": _("Empty means unlimited."),
                "fields": [
                    "seats",
                    "contacts",
                    "storage_mb",
                    "ai_requests_per_month",
                    "api_requests_per_minute",
                ],
            },
        ),
        (_("Features"), {"fields": ["features"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Plan]:
        return super().get_queryset(request).annotate(companies_total=Count("companies"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The slug names the plan outside (Stripe metadata, URLs) and the trial plan must
        # always exist: both are fixed once the plan is created.
        fixed = ["slug", "is_trial"] if obj is not None else []
        return [*fixed, "created_at", "updated_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Companies point at plans; a plan is retired by taking it off the pricing page.
        return False

    @admin.display(description=_("per month"))
    def monthly(self, plan: Plan) -> str:
        return money(plan.price_monthly_cents, plan.currency)

    @admin.display(description=_("per year"))
    def yearly(self, plan: Plan) -> str:
        if plan.price_yearly_cents is None:
            return "-"
        return money(plan.price_yearly_cents, plan.currency)

    @admin.display(description=_("companies"), ordering="companies_total")
    def companies_count(self, plan: Plan) -> int:
        return int(getattr(plan, "companies_total", 0))

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        if change:
            plan_update(
                plan=obj,
                actor=_user(request),
                **{name: getattr(obj, name) for name in PLAN_EDITABLE_FIELDS},
            )
            return
        created = plan_create(
            actor=_user(request), **{name: getattr(obj, name) for name in PLAN_CREATE_FIELDS}
        )
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()


# --- Companies' billing --------------------------------------------------------------------


class BillingStateChangeInline(admin.TabularInline):
    model = BillingStateChange
    fk_name = "company"
    extra = 0
    can_delete = False
    ordering = ["-at", "-id"]
    fields = ["at", "from_state", "to_state", "reason", "source", "forced", "actor"]
    readonly_fields = ["at", "from_state", "to_state", "reason", "source", "forced", "actor"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CompanyBillingForm(forms.ModelForm):
    move_to = forms.ChoiceField(
        label=_("force the state to"),
        choices=[("", "—"), *State.choices],
        required=False,
        help_text=_("Past the usual rules (e.g. out of canceled). Leave empty to keep it."),
    )
    new_trial_ends_at = forms.SplitDateTimeField(
        label=_("trial ends"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Needed when forcing a trial; on a trialing company, extends it."),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Required for any change; kept in the history and the audit log."),
    )

    class Meta:
        model = CompanyBilling
        fields = ["plan"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        move_to = data.get("move_to") or ""
        trial_ends_at = data.get("new_trial_ends_at")
        if trial_ends_at is not None and not move_to:
            if self.instance.billing_state != State.TRIALING:
                self.add_error("move_to", _("Choose “Trial” to start a new trial."))
                return data
            move_to = data["move_to"] = State.TRIALING  # extending the current trial
        if move_to == State.TRIALING:
            if trial_ends_at is None or trial_ends_at <= timezone.now():
                self.add_error("new_trial_ends_at", _("Enter when the trial ends, in the future."))
        elif trial_ends_at is not None:
            self.add_error("new_trial_ends_at", _("Only a trial has an end date."))
        changing = bool(move_to) or "plan" in self.changed_data
        if changing and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for the change."))
        return data


@admin.register(CompanyBilling)
class CompanyBillingAdmin(admin.ModelAdmin):
    form = CompanyBillingForm
    change_list_template = "admin/billing/companybilling_change_list.html"
    list_display = [
        "name",
        "subdomain",
        "billing_state",
        "plan",
        "subscription",
        "mrr",
        "trial_ends_at",
        "billing_state_changed_at",
    ]
    actions = [grant_complimentary]
    list_filter = ["billing_state", "plan"]
    list_select_related = ["plan"]
    search_fields = ["name", "subdomain", "billing_email"]
    ordering = ["name"]
    readonly_fields = [
        "name",
        "subdomain",
        "billing_email",
        "billing_state",
        "billing_state_changed_at",
        "trial_ends_at",
    ]
    fields = [
        "name",
        "subdomain",
        "billing_email",
        "billing_state",
        "billing_state_changed_at",
        "trial_ends_at",
        "plan",
        "move_to",
        "new_trial_ends_at",
        "reason",
    ]
    inlines = [BillingStateChangeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CompanyBilling]:
        # MRR and the subscription come from subqueries: no query per row.
        return companies_with_mrr(super().get_queryset(request))

    def get_urls(self) -> list[URLPattern]:
        overview = self.admin_site.admin_view(self.overview)
        return [
            path("overview/", overview, name="billing_companybilling_overview"),
            *super().get_urls(),
        ]

    def overview(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return overview_view(self, request)

    @admin.display(description=_("MRR"), ordering="mrr_cents")
    def mrr(self, company: CompanyBilling) -> str:
        currency = company.plan.currency if company.plan is not None else "EUR"
        return money(cents(getattr(company, "mrr_cents", 0)), currency)

    @admin.display(description=_("Stripe subscription"))
    def subscription(self, company: CompanyBilling) -> str:
        status = getattr(company, "subscription_status", None)
        if not status:
            return "-"
        interval = getattr(company, "subscription_interval", None) or ""
        return f"{status} ({interval})" if interval else str(status)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # companies are created by provisioning

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CompanyBilling, form: Any, change: bool
    ) -> None:
        reason = form.cleaned_data.get("reason", "")
        if "plan" in form.changed_data:
            billing_plan_change(
                company=obj,
                plan=form.cleaned_data["plan"],
                reason=reason,
                source="admin",
                actor=_user(request),
            )
        move_to = form.cleaned_data.get("move_to")
        if move_to:
            billing_state_force(
                company=obj,
                to=move_to,
                reason=reason,
                actor=_user(request),
                trial_ends_at=form.cleaned_data.get("new_trial_ends_at"),
            )


@admin.register(BillingStateChange)
class BillingStateChangeAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "company",
        "from_state",
        "to_state",
        "source",
        "reason",
        "forced",
        "actor",
    ]
    list_filter = ["to_state", "forced"]
    list_select_related = ["company", "actor"]
    search_fields = ["company__subdomain", "company__name", "source", "reason"]
    readonly_fields = [f.name for f in BillingStateChange._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
