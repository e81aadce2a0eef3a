"""Forms that add a task or log a call, meeting or email, on a record page (linked to that
record) or on `/activities/new/` (with a record picker). They turn POST data into
`activity_create` arguments; the service checks again (members, contacts, lengths, times)
and its field errors are put back on the matching inputs.

Defaults: the assignee (a task's, or whoever made the call, meeting or email) and a
meeting's participants start as the current user, who can change them. The service itself
never assumes an assignee, so imports and other callers get exactly what they pass."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import User
from tenant_apps.crm.models import (
    ActivityKind,
    CallOutcome,
    Contact,
    Deal,
    EmailDirection,
    Organization,
)
from tenant_apps.crm.models.activities import MAX_DESCRIPTION, MAX_DURATION_MINUTES
from tenant_apps.crm.web.date_inputs import EuropeanDateTimeField
from tenant_apps.crm.web.records.forms import UserChoiceField, member_choices

# A task given a date but no time is due at this local time (as on the tasks page).
DEFAULT_DUE_TIME = datetime.time(9, 0)
PARTICIPANT_CHOICES = 100
Choices = list[tuple[str, str]]


class _Ids(forms.MultipleChoiceField):
    """Ids picked in a multi-select. Any id is accepted here: the service checks that each
    is a contact or member of this company (and says so on the input when one is not)."""

    def valid_value(self, value: str) -> bool:
        return True

    def clean(self, value: Any) -> list[int]:
        values = super().clean(value) or []
        if not all(str(v).isdigit() for v in values):
            raise ValidationError(self.error_messages["invalid_choice"] % {"value": ""})
        return [int(v) for v in values]


def _duration() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_DURATION_MINUTES}),
    )


def _description(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ActivityForm(forms.Form):
    """The part every kind shares. `members` are the company's members (one query, made
    once per page by the caller)."""

    kind: ClassVar[str]
    title: ClassVar[Any]
    button: ClassVar[Any]
    service_fields: ClassVar[tuple[str, ...]] = ()
    assignee_label: ClassVar[Any] = _("Handled by")

    def __init__(self, *args: Any, members: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        self.action = ""  # where a record page posts it
        # last, after the kind's own inputs
        self.fields["assignee"] = UserChoiceField(
            label=self.assignee_label, required=False, choices=[("", "—"), *members]
        )

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in (*self.service_fields, "assignee")}
        for name in ("description", "location", "call_outcome", "email_direction"):
            if name in values:
                values[name] = values[name] or ""
        return values

    def service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class TaskForm(ActivityForm):
    kind = ActivityKind.TASK
    title = _("Add a task")
    button = _("Add task")
    service_fields = ("subject", "due_at")
    assignee_label = _("Assignee")

    subject = forms.CharField(label=_("Task"), max_length=200)
    due_at = EuropeanDateTimeField(
        label=_("Due by"),
        required=False,
        date_only_at=DEFAULT_DUE_TIME,
        help_text=_("Without a time, the task is due at 09:00."),
    )


class CallForm(ActivityForm):
    kind = ActivityKind.CALL
    title = _("Log a call")
    button = _("Log call")
    service_fields = ("subject", "call_outcome", "duration_minutes", "description")

    subject = forms.CharField(label=_("Subject"), max_length=200)
    call_outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *CallOutcome.choices])
    duration_minutes = _duration()
    description = _description(_("Notes"))


class MeetingForm(ActivityForm):
    kind = ActivityKind.MEETING
    title = _("Log a meeting")
    button = _("Log meeting")
    service_fields = (
        "subject",
        "starts_at",
        "ends_at",
        "duration_minutes",
        "location",
        "participant_contacts",
        "participant_users",
        "description",
    )

    subject = forms.CharField(label=_("Subject"), max_length=200)
    starts_at = EuropeanDateTimeField(label=_("Starts"))
    ends_at = EuropeanDateTimeField(
        label=_("Ends"), required=False, help_text=_("Or give a duration instead.")
    )
    duration_minutes = _duration()
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    participant_contacts = _Ids(label=_("Contacts taking part"), required=False)
    participant_users = _Ids(label=_("Members taking part"), required=False)
    description = _description(_("Notes"))

    def __init__(self, *args: Any, contacts: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participant_contacts"].choices = contacts  # type: ignore[attr-defined]
        self.fields["participant_users"].choices = self.members  # type: ignore[attr-defined]


class EmailForm(ActivityForm):
    kind = ActivityKind.EMAIL
    title = _("Log an email")
    button = _("Log email")
    service_fields = ("email_direction", "subject", "description")

    email_direction = forms.ChoiceField(
        label=_("Direction"),
        choices=EmailDirection.choices,
        initial=EmailDirection.OUTGOING,
        widget=forms.RadioSelect,
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = _description(_("Body"))


FORMS: dict[str, type[ActivityForm]] = {
    form.kind: form for form in (TaskForm, CallForm, MeetingForm, EmailForm)
}


def contact_choices(record: Any = None) -> Choices:
    """Contacts a meeting may list: those of the record first (the contact itself, its
    organization's people, a deal's contacts), then the most recently changed ones. One
    query."""
    related = Q(pk__in=[])
    if isinstance(record, Contact):
        related = Q(pk=record.pk)
        if record.organization_id:
            related |= Q(organization_id=record.organization_id)
    elif isinstance(record, Organization):
        related = Q(organization_id=record.pk)
    elif isinstance(record, Deal):
        on_deal = Deal.contacts.through.objects.filter(deal_id=record.pk)
        related = Q(pk__in=on_deal.values("contact_id"))
        if record.organization_id:
            related |= Q(organization_id=record.organization_id)
    rows = (
        Contact.objects.filter(deleted_at__isnull=True)
        .annotate(near=Case(When(related, then=Value(0)), default=1, output_field=IntegerField()))
        .order_by("near", "-updated_at", "-pk")
        .values_list("pk", "first_name", "last_name")[:PARTICIPANT_CHOICES]
    )
    return [(str(pk), f"{first} {last}".strip()) for pk, first, last in rows]


def blank_forms(
    *, actor: User, company_id: int, record: Any = None, bound: ActivityForm | None = None
) -> dict[str, ActivityForm]:
    """One form per kind, the bound one (with its errors) in its place; the others start
    with the current user as assignee and participant. Two queries (members, contacts)."""
    members = member_choices(company_id)
    contacts = contact_choices(record)
    found: dict[str, ActivityForm] = {}
    for kind in FORMS:
        if bound is not None and bound.kind == kind:
            form = bound
        else:
            form = make_form(
                kind, None, members=members, contacts=contacts, actor=actor, record=record
            )
        if record is not None:
            form.action = reverse(f"crm:{record._meta.model_name}_{kind}_add", args=[record.pk])
        found[kind] = form
    return found


def make_form(
    kind: str,
    data: Any,
    *,
    members: Choices,
    contacts: Choices | None = None,
    actor: User,
    record: Any = None,
) -> ActivityForm:
    """The form of `kind`; a task's inputs are unprefixed (`subject`, `due_at`,
    `assignee`), the others carry their kind (`call-subject`) so that all of them can be
    on one page."""
    form_class = FORMS[kind]
    initial: dict[str, Any] = {"assignee": str(actor.pk)}
    if form_class is MeetingForm:
        initial["participant_users"] = [str(actor.pk)]
        if isinstance(record, Contact):
            initial["participant_contacts"] = [str(record.pk)]
    kwargs: dict[str, Any] = {"members": members, "initial": initial}
    if form_class is not TaskForm:
        kwargs["prefix"] = kind
    if form_class is MeetingForm:
        kwargs["contacts"] = contacts if contacts is not None else contact_choices(record)
    return form_class(data, **kwargs)
