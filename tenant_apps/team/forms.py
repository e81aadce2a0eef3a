from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import Membership

Role = Membership.Role


def role_choices(*, actor_role: str) -> list[tuple[str, Any]]:
    """Roles the actor may hand out: only owners make owners."""
    return [
        (value, label)
        for value, label in Role.choices
        if actor_role == Role.OWNER or value != Role.OWNER
    ]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), initial=Role.MEMBER)

    def __init__(self, *args: Any, actor_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor_role=actor_role)  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
