"""The platform admin (public host, /admin/), organised for the platform owner.

The index lists companies, people, plans and revenue first, then the audit logs and the
rest; the dj-stripe sync models (read from Stripe, rarely opened) come last under one
heading. The billing overview (MRR, companies per state, churn) is linked from the top.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# App label -> (position, heading shown on the index; None keeps the app's own name).
APP_ORDER: dict[str, tuple[int, Any]] = {
    "tenants": (0, _("Companies")),
    "accounts": (1, _("People")),
    "billing": (2, _("Plans and revenue")),
    "audit": (3, None),
    "account": (4, None),
    "socialaccount": (5, None),
    "mfa": (6, None),
    "usersessions": (7, None),
    "notifications": (8, None),
}
LAST = "djstripe"
LAST_HEADING = _("Stripe (synced)")


class PlatformAdminSite(admin.AdminSite):
    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        for app in apps:
            label = app["app_label"]
            heading = LAST_HEADING if label == LAST else APP_ORDER.get(label, (0, None))[1]
            if heading is not None:
                app["name"] = str(heading)

        def position(app: dict[str, Any]) -> tuple[int, str]:
            label = app["app_label"]
            if label == LAST:
                return (2 * len(APP_ORDER) + 1, "")
            # Apps not named above keep alphabetical order between the named ones and Stripe.
            return (APP_ORDER.get(label, (len(APP_ORDER), None))[0], str(app["name"]))

        return sorted(apps, key=position)

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = dict(extra_context or {})
        if request.user.has_perm("billing.view_companybilling"):
            context["billing_overview_url"] = reverse(
                f"{self.name}:billing_companybilling_overview"
            )
        return super().index(request, context)
