"""Forms of the list pages that write: bulk actions and saved views. (The filter form is
built per list by `tenant_apps.crm.listing.query`.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.listing.entities import (
    BULK_DELETE,
    BULK_OWNER,
    BULK_TAG_ADD,
    BULK_TAG_REMOVE,
)
from tenant_apps.crm.models import Tag

ACTION_LABELS = {
    BULK_OWNER: _("Assign owner"),
    BULK_TAG_ADD: _("Add tag"),
    BULK_TAG_REMOVE: _("Remove tag"),
    BULK_DELETE: _("Delete"),
}


class IdListField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("The selection is not valid."), code="invalid") from exc

    def validate(self, value: Any) -> None:
        if not value:
            raise ValidationError(_("Select at least one row."), code="required")


class BulkForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"))
    ids = IdListField(label=_("Selected rows"))
    owner = forms.TypedChoiceField(
        label=_("New owner"), required=False, coerce=int, empty_value=None
    )
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.all())

    def __init__(
        self,
        *args: Any,
        actions: list[str],
        members: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(a, ACTION_LABELS[a]) for a in actions]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [("", _("No owner")), *members]  # type: ignore[attr-defined]
        if BULK_TAG_ADD not in actions and BULK_TAG_REMOVE not in actions:
            del self.fields["tag"]
        if BULK_OWNER not in actions:
            del self.fields["owner"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") in (BULK_TAG_ADD, BULK_TAG_REMOVE) and not cleaned.get("tag"):
            self.add_error("tag", _("Choose a tag."))
        return cleaned


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("View name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with the company"), required=False)


class SavedViewRenameForm(forms.Form):
    view = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("New name"), max_length=100)


class SavedViewDeleteForm(forms.Form):
    view = forms.IntegerField(widget=forms.HiddenInput)
