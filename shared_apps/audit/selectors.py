from __future__ import annotations

from django.db.models import QuerySet

from shared_apps.audit.models import SecurityEvent


def security_events_for_company(*, company_id: int) -> QuerySet[SecurityEvent]:
    """A company's security events, newest first, with the person (one query per page)."""
    return (
        SecurityEvent.objects.filter(company_id=company_id)
        .select_related("user")
        .order_by("-created_at", "-id")
    )
