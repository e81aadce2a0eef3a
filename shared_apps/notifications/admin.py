from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from shared_apps.notifications.models import OutboundEmail

# Everything but the context: it can hold reset and invitation links.
SHOWN_FIELDS: tuple[str, ...] = (
    "template",
    "to",
    "language",
    "idempotency_key",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "claimed_at",
    "sent_at",
    "last_error",
)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The email outbox, read-only, for diagnosis."""

    list_display = ["created_at", "template", "to", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "template"]
    search_fields = ["to", "idempotency_key"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
