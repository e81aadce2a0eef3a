"""Template context for the billing banner (templates/billing/_banner.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def billing_banner(request: HttpRequest) -> dict[str, Any]:
    return {}
