from django.contrib import admin

from shared_apps.accounts.models import Membership, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "language", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_staff", "is_active", "language"]
    readonly_fields = ["uuid", "date_joined", "last_login", "password"]
    exclude = ["user_permissions", "groups"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["user", "company"]
    search_fields = ["user__email", "company__subdomain"]
    raw_id_fields = ["user", "company"]
