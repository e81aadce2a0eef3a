"""Forms of the CRM settings pages. They translate input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models import CustomFieldEntity, CustomFieldType, Stage
from tenant_apps.crm.models.tags import color_validator


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class PipelineCreateForm(PipelineForm):
    is_default = forms.BooleanField(label=_("Make it the default pipeline"), required=False)


MARKERS = [
    ("open", _("Open")),
    ("won", _("Won")),
    ("lost", _("Lost")),
]


class StageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    win_probability = forms.IntegerField(
        label=_("Win probability (%)"), min_value=0, max_value=100, initial=0
    )
    marker = forms.ChoiceField(
        label=_("Deals here are"),
        choices=MARKERS,
        initial="open",
        help_text=_("Deals in a won or lost stage are closed as won or lost."),
    )

    @staticmethod
    def initial_for(stage: Stage) -> dict[str, Any]:
        marker = "won" if stage.is_won else "lost" if stage.is_lost else "open"
        return {"name": stage.name, "win_probability": stage.win_probability, "marker": marker}

    def values(self) -> dict[str, Any]:
        marker = self.cleaned_data["marker"]
        return {
            "name": self.cleaned_data["name"],
            "win_probability": self.cleaned_data["win_probability"],
            "is_won": marker == "won",
            "is_lost": marker == "lost",
        }


class StageDeleteForm(forms.Form):
    move_to = forms.TypedChoiceField(
        label=_("Move its deals to"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, stage: Stage, siblings: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["move_to"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (s.pk, s.name) for s in siblings if s.pk != stage.pk
        ]


def _choice_lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class CustomFieldEditForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; for “Choice” and “Multiple choice” fields."),
    )
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=10000, initial=0)

    def choice_list(self) -> list[str]:
        return _choice_lines(self.cleaned_data.get("choices") or "")


class CustomFieldCreateForm(CustomFieldEditForm):
    entity = forms.ChoiceField(label=_("Object type"), choices=CustomFieldEntity.choices)
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Letters, digits, - and _; it cannot be changed later."),
    )
    type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=10000,
        required=False,
        help_text=_("Leave empty to add it after the others."),
    )
    field_order = ["entity", "label", "key", "type", "choices", "required", "position"]


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#6b7280",
        validators=[color_validator],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
