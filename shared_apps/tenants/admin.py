from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shared_apps.accounts.models import User
from shared_apps.accounts.services import company_require_mfa_set
from shared_apps.tenants.models import Company, Domain, SchemaTemplateState
from shared_apps.tenants.services import company_details_change, company_status_set


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    readonly_fields = ["domain", "is_primary"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # domains come with provisioning


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "status", "billing_state", "billing_email", "created_at"]
    list_filter = ["status", "billing_state"]
    search_fields = ["name", "subdomain", "billing_email"]
    readonly_fields = [
        "uuid",
        "subdomain",
        "schema_name",
        # Billing moves only through its services (rules, history, audit): the platform
        # admin changes them under Billing › Company billing.
        "plan",
        "billing_state",
        "billing_state_changed_at",
        "trial_ends_at",
        "created_at",
        "updated_at",
    ]
    inlines = [DomainInline]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        """Each change through its audited service, on a fresh copy of the row (the form
        has already set the new values on `obj`)."""
        assert isinstance(request.user, User)
        actor = request.user
        data = form.cleaned_data
        current = Company.objects.get(pk=obj.pk)
        if {"name", "billing_email"} & set(form.changed_data):
            current = company_details_change(
                company=current, name=data["name"], billing_email=data["billing_email"], actor=actor
            )
        if "status" in form.changed_data:
            current = company_status_set(company=current, status=data["status"], actor=actor)
        if "require_mfa" in form.changed_data:
            current = company_require_mfa_set(
                company=current, required=data["require_mfa"], actor=actor
            )

    def has_add_permission(self, request):
        # Companies are created through provisioning (sign-up or `create_company`).
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting drops a schema: only through `delete_company`, which asks to confirm.
        return False


@admin.register(SchemaTemplateState)
class SchemaTemplateStateAdmin(admin.ModelAdmin):
    list_display = ["state_hash", "migrations_count", "created_at"]
    readonly_fields = ["state_hash", "migrations_count", "ddl", "data_sql", "created_at"]

    def has_add_permission(self, request):
        return False
