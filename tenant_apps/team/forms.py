from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permissions import Action, Member, can

Role = Membership.Role


def role_choices(*, actor: Member) -> list[tuple[str, Any]]:
    """Roles the actor may hand out: only those who may invite owners make owners."""
    owners = can(actor, Action.OWNER_INVITE)
    return [(value, label) for value, label in Role.choices if owners or value != Role.OWNER]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), initial=Role.MEMBER)

    def __init__(self, *args: Any, actor: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor=actor)  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
