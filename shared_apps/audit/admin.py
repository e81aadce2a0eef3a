from django.contrib import admin

from shared_apps.audit.models import PlatformEvent, SecurityEvent


@admin.register(PlatformEvent)
class PlatformEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "target_type", "target_id", "actor", "company_id"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    search_fields = ["target_id", "actor__email"]
    readonly_fields = [f.name for f in PlatformEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Every security event, account-level ones included (platform admin, read-only)."""

    list_display = ["created_at", "kind", "email", "company_id", "ip", "user_agent"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["email", "user__email", "ip"]
    readonly_fields = [f.name for f in SecurityEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
