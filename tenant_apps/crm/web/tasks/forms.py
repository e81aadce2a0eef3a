"""Forms of the tasks pages. They translate input; the services decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.web.date_inputs import EuropeanDateField, EuropeanTimeField
from tenant_apps.crm.web.tasks.selectors import link_resolve

# A task given a date but no time is due at this local time (its reminder goes out then).
DEFAULT_DUE_TIME = datetime.time(9, 0)


class DueFieldsMixin(forms.Form):
    due_date = EuropeanDateField(label=_("Due date"), required=False)
    due_time = EuropeanTimeField(
        label=_("Time"),
        required=False,
        help_text=_("Without a time, the task is due at 09:00."),
    )

    def due_at(self) -> datetime.datetime | None:
        """The due date and time in the current time zone, as an aware datetime."""
        day = self.cleaned_data.get("due_date")
        if day is None:
            return None
        at = self.cleaned_data.get("due_time") or DEFAULT_DUE_TIME
        return timezone.make_aware(datetime.datetime.combine(day, at))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("due_time") and not cleaned.get("due_date"):
            self.add_error("due_date", _("Enter a date for this time."))
        return cleaned


class RecordPickerForm(forms.Form):
    """The record (deal, contact or organization) a new activity belongs to: the actor's
    own and recently changed ones, or the one given in the address."""

    link = forms.CharField(
        label=_("For"),
        help_text=_("An activity belongs to a deal, a contact or an organization."),
        widget=forms.Select(),
    )

    def __init__(
        self,
        *args: Any,
        link_choices: dict[str, list[tuple[str, str]]],
        preselect: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # a record given in the address (from its page) is offered even when it is not
        # among the picker's recent records
        chosen = link_resolve(preselect) if preselect else None
        if chosen is not None:
            kind = preselect.partition(":")[0]
            value = f"{kind}:{chosen.pk}"
            offered = link_choices.get(kind, [])
            if all(v != value for v, _label in offered):
                link_choices = {**link_choices, kind: [(value, str(chosen)), *offered]}
        groups: list[tuple[Any, Any]] = [("", _("Choose a record…"))]
        for label, key in (
            (_("Deals"), "deal"),
            (_("Contacts"), "contact"),
            (_("Organizations"), "organization"),
        ):
            if link_choices.get(key):
                groups.append((label, link_choices[key]))
        self.fields["link"].widget.choices = groups
        self.record: Organization | Contact | Deal | None = None

    def clean_link(self) -> str:
        value: str = self.cleaned_data["link"]
        self.record = link_resolve(value)
        if self.record is None:
            raise forms.ValidationError(_("Choose a deal, a contact or an organization."))
        return value

    def links(self) -> dict[str, Any]:
        record = self.record
        return {
            "organization": record if isinstance(record, Organization) else None,
            "contact": record if isinstance(record, Contact) else None,
            "deal": record if isinstance(record, Deal) else None,
        }


class TaskAddForm(DueFieldsMixin, RecordPickerForm):
    subject = forms.CharField(label=_("Task"), max_length=200)
    field_order = ["subject", "due_date", "due_time", "link"]


class TaskEditForm(DueFieldsMixin):
    subject = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(
        label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    assignee = forms.TypedChoiceField(label=_("Assigned to"), coerce=int)
    field_order = ["subject", "description", "due_date", "due_time", "assignee"]

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = members  # type: ignore[attr-defined]
