from __future__ import annotations

from typing import Any

from django import template

from shared_apps.accounts.models import Membership
from shared_apps.onboarding.services import public_url
from shared_apps.tenants.models import Company

register = template.Library()


@register.simple_tag(takes_context=True)
def company_switch_links(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The signed-in person's active companies, each with a link that signs them in there
    (the public host's /go/<subdomain>/, which hands the session over)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    current = getattr(getattr(request, "tenant", None), "pk", None)
    memberships = (
        Membership.objects.filter(user=user, company__status=Company.Status.ACTIVE)
        .select_related("company")
        .order_by("company__name")
    )
    return [
        {
            "name": m.company.name,
            "subdomain": m.company.subdomain,
            "url": public_url(request, f"/go/{m.company.subdomain}/"),
            "current": m.company_id == current,
        }
        for m in memberships
    ]


@register.simple_tag(takes_context=True)
def public_site_url(context: dict[str, Any], path: str = "/") -> str:
    request = context.get("request")
    return public_url(request, path) if request is not None else path
