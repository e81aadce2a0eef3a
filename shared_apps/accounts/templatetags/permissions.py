"""`{% allowed "saved_view_delete" view as may_delete %}`: `permissions.can` on one object
for the request's member (actions on no object: the `can` context, `{% if can.record_edit %}`).
No query."""

from __future__ import annotations

from typing import Any

from django import template

from shared_apps.accounts.permissions import Action, can

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed(context: template.Context, action: str, obj: Any = None) -> bool:
    request = context.get("request")
    return can(getattr(request, "membership", None), Action(action), obj)
