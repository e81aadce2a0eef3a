from django.contrib import admin

from shared_apps.tenants.models import Company, Domain, SchemaTemplateState


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0
    readonly_fields = ["domain", "is_primary"]
    can_delete = False


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
