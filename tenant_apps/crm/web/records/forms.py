"""Forms of the record screens. They turn POST data into the services' arguments; the
services validate again (types of custom fields, owners, stages, constraints) and their
field errors are put back on the matching inputs."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shared_apps.accounts.models import Membership, User
from tenant_apps.crm.models import (
    Contact,
    CustomField,
    CustomFieldType,
    DealStatus,
    LifecycleStage,
    LostReason,
    Organization,
    OrganizationSize,
    Pipeline,
    Stage,
)
from tenant_apps.crm.validators import phone_normalize

CF_PREFIX = "cf_"


class DateInput(forms.DateInput):
    input_type = "date"


class _AnyMultiple(forms.MultipleChoiceField):
    """A multi-select whose values are checked by the service, not here."""

    def valid_value(self, value: str) -> bool:
        return True


class _AnyChoice(forms.ChoiceField):
    def valid_value(self, value: str) -> bool:
        return True


def member_choices(company_id: int) -> list[tuple[str, str]]:
    """Members of the company (users live in the public schema). One query."""
    memberships = (
        Membership.objects.filter(company_id=company_id)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [(str(m.user_id), m.user.get_full_name()) for m in memberships]


class UserChoiceField(forms.ChoiceField):
    def clean(self, value: Any) -> User | None:
        value = super().clean(value)
        if not value:
            return None
        user = User.objects.filter(pk=value).first()
        if user is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return user


class RecordForm(forms.Form):
    """Owner among the company's members, the version the form was opened at and the
    custom fields of `entity`."""

    entity = ""
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    owner = UserChoiceField(label=gettext_lazy("Owner"), required=False)

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = [("", "—"), *member_choices(company_id)]
        self.custom_definitions = list(CustomField.objects.filter(entity=self.entity))
        for definition in self.custom_definitions:
            self.fields[CF_PREFIX + definition.key] = _custom_field(definition)

    def main_fields(self) -> list[forms.BoundField]:
        """The visible inputs other than custom fields and a contact's email/phone rows."""
        skip = ("email_", "phone_", CF_PREFIX)
        return [f for f in self.visible_fields() if not f.name.startswith(skip)]

    def custom_bound(self) -> list[forms.BoundField]:
        return [self[CF_PREFIX + d.key] for d in self.custom_definitions]

    def custom_values(self) -> dict[str, Any]:
        values = {}
        for definition in self.custom_definitions:
            value = self.cleaned_data.get(CF_PREFIX + definition.key)
            if definition.type == CustomFieldType.BOOL:
                value = bool(value)
            values[definition.key] = value
        return values

    def service_errors(self, exc: ValidationError) -> None:
        """Put a service's `ValidationError` on the inputs it names."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.error_dict.items():
            self.add_error(self.field_for(name), errors)

    def field_for(self, name: str) -> str | None:
        if name.startswith("custom_fields."):
            name = CF_PREFIX + name.removeprefix("custom_fields.")
        return name if name in self.fields and name != NON_FIELD_ERRORS else None


def _custom_field(definition: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": definition.label, "required": False}
    choices = [(str(c), str(c)) for c in definition.choices or []]
    kind = definition.type
    if kind == CustomFieldType.CHOICE:
        return _AnyChoice(choices=[("", "—"), *choices], **common)
    if kind == CustomFieldType.MULTI:
        return _AnyMultiple(choices=choices, **common)
    if kind == CustomFieldType.BOOL:
        return forms.BooleanField(**common)
    if kind == CustomFieldType.DATE:
        return forms.CharField(widget=DateInput, **common)
    if kind == CustomFieldType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if kind == CustomFieldType.URL:
        return forms.CharField(widget=forms.URLInput, **common)
    return forms.CharField(**common)


def _rows(data: Any, pattern: str, existing: int) -> int:
    """How many email/phone rows to show: those posted, or the saved ones plus a blank one."""
    if data is not None:
        found = [int(m.group(1)) for key in data if (m := re.fullmatch(pattern, key))]
        return max(found, default=0) + 1
    return max(existing + 1, 2)


class ContactForm(RecordForm):
    entity = "contact"
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    job_title = forms.CharField(label=gettext_lazy("Job title"), max_length=150, required=False)
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Organization"), queryset=Organization.objects.none(), required=False
    )
    lifecycle_stage = forms.ChoiceField(
        label=gettext_lazy("Lifecycle stage"), choices=LifecycleStage.choices
    )
    source = forms.CharField(label=gettext_lazy("Source"), max_length=100, required=False)
    do_not_contact = forms.BooleanField(label=gettext_lazy("Do not contact"), required=False)
    primary_email = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, emails: int = 0, phones: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = self.fields["organization"]
        assert isinstance(organization, forms.ModelChoiceField)
        organization.queryset = Organization.objects.filter(deleted_at__isnull=True)
        self.email_count = _rows(self.data if self.is_bound else None, r"email_(\d+)", emails)
        self.phone_count = _rows(self.data if self.is_bound else None, r"phone_(\d+)", phones)
        for n in range(self.email_count):
            self.fields[f"email_{n}"] = forms.EmailField(
                label=_("Email address %(n)s") % {"n": n + 1}, required=False, max_length=254
            )
        for n in range(self.phone_count):
            self.fields[f"phone_{n}"] = forms.CharField(
                label=_("Phone number %(n)s") % {"n": n + 1},
                required=False,
                max_length=32,
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            )
            self.fields[f"phone_label_{n}"] = forms.CharField(
                label=_("Label of phone %(n)s") % {"n": n + 1}, required=False, max_length=32
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(self.phone_count):
            raw = data.get(f"phone_{n}")
            if raw:
                try:
                    data[f"phone_{n}"] = phone_normalize(raw)
                except ValidationError as exc:
                    self.add_error(f"phone_{n}", exc)
        return data

    def email_rows(self) -> list[tuple[int, forms.BoundField]]:
        return [(n, self[f"email_{n}"]) for n in range(self.email_count)]

    def phone_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"phone_{n}"], self[f"phone_label_{n}"]) for n in range(self.phone_count)]

    def primary_index(self) -> int:
        value = self["primary_email"].value()
        try:
            return int(value) if value not in (None, "") else 0
        except (TypeError, ValueError):
            return 0

    def emails(self) -> list[str]:
        emails = [self.cleaned_data.get(f"email_{n}") or "" for n in range(self.email_count)]
        primary = self.primary_index()
        if 0 <= primary < len(emails) and emails[primary]:
            emails.insert(0, emails.pop(primary))
        return [e for e in emails if e]

    def phones(self) -> list[dict[str, str]]:
        return [
            {"number": number, "label": self.cleaned_data.get(f"phone_label_{n}") or ""}
            for n in range(self.phone_count)
            if (number := self.cleaned_data.get(f"phone_{n}"))
        ]

    def service_values(self) -> dict[str, Any]:
        names = ("first_name", "last_name", "job_title", "organization", "owner")
        values = {name: self.cleaned_data.get(name) for name in names}
        values.update(
            lifecycle_stage=self.cleaned_data["lifecycle_stage"],
            source=self.cleaned_data.get("source") or "",
            do_not_contact=bool(self.cleaned_data.get("do_not_contact")),
            custom_fields=self.custom_values(),
            emails=self.emails(),
            phones=self.phones(),
        )
        values["first_name"] = values["first_name"] or ""
        values["job_title"] = values["job_title"] or ""
        return values

    def field_for(self, name: str) -> str | None:
        if name == "emails":
            return "email_0"
        if name == "phones":
            return "phone_0"
        return super().field_for(name)


class OrganizationForm(RecordForm):
    entity = "organization"
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    website = forms.CharField(
        label=gettext_lazy("Website"), max_length=300, required=False, widget=forms.URLInput
    )
    domain = forms.CharField(label=gettext_lazy("Domain"), max_length=253, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    street = forms.CharField(label=gettext_lazy("Street"), max_length=200, required=False)
    city = forms.CharField(label=gettext_lazy("City"), max_length=100, required=False)
    postcode = forms.CharField(label=gettext_lazy("Postcode"), max_length=20, required=False)
    country = forms.CharField(
        label=gettext_lazy("Country (ISO code)"), max_length=2, required=False
    )
    industry = forms.CharField(label=gettext_lazy("Industry"), max_length=100, required=False)
    size = forms.ChoiceField(
        label=gettext_lazy("Size"), choices=[("", "—"), *OrganizationSize.choices], required=False
    )
    vat_number = forms.CharField(
        label=gettext_lazy("VAT / registry number"), max_length=32, required=False
    )

    TEXT = (
        "name",
        "website",
        "domain",
        "email",
        "phone",
        "street",
        "city",
        "postcode",
        "country",
        "industry",
        "size",
        "vat_number",
    )

    def clean_phone(self) -> str:
        # Checked here too, so that it is reported together with the form's other errors.
        raw = self.cleaned_data.get("phone") or ""
        return phone_normalize(raw) if raw.strip() else ""

    def service_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {n: self.cleaned_data.get(n) or "" for n in self.TEXT}
        if not values["domain"] and values["website"]:
            del values["domain"]  # the service derives it from the website
        values["owner"] = self.cleaned_data.get("owner")
        values["custom_fields"] = self.custom_values()
        return values


class StageChoiceField(forms.ChoiceField):
    def clean(self, value: Any) -> Stage | None:
        value = super().clean(value)
        if not value:
            return None
        stage = Stage.objects.filter(pk=value).first()
        if stage is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return stage

    def valid_value(self, value: str) -> bool:
        return True  # checked against the deal's pipeline by the service


def stage_choices(pipeline_id: int | None = None) -> list[tuple[Any, Any]]:
    """Stages grouped by pipeline (every pipeline without JS; one pipeline's when the
    pipeline select asks for its stages)."""
    stages = Stage.objects.select_related("pipeline").order_by(
        "-pipeline__is_default", "pipeline__name", "pipeline_id", "position"
    )
    if pipeline_id is not None:
        stages = stages.filter(pipeline_id=pipeline_id)
        return [(str(s.pk), s.name) for s in stages]
    groups: dict[str, list[tuple[str, str]]] = {}
    for stage in stages:
        groups.setdefault(stage.pipeline.name, []).append((str(stage.pk), stage.name))
    return list(groups.items())


class DealForm(RecordForm):
    entity = "deal"
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    pipeline = forms.ModelChoiceField(
        label=gettext_lazy("Pipeline"), queryset=Pipeline.objects.all()
    )
    stage = StageChoiceField(label=gettext_lazy("Stage"))
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Organization"), queryset=Organization.objects.none(), required=False
    )
    contacts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Contacts"), queryset=Contact.objects.none(), required=False
    )
    amount = forms.CharField(
        label=gettext_lazy("Amount"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency (ISO code)"), max_length=3, initial="EUR"
    )
    expected_close_date = forms.CharField(
        label=gettext_lazy("Expected close date"), required=False, widget=DateInput
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=DealStatus.choices)
    lost_reason_choice = forms.ModelChoiceField(
        label=gettext_lazy("Why was it lost?"),
        queryset=LostReason.objects.all(),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the offered reasons.")},
    )
    lost_reason = forms.CharField(
        label=gettext_lazy("Lost reason details"), max_length=300, required=False
    )

    def __init__(self, *args: Any, pipeline_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["lost_reason_choice"]
        assert isinstance(reason, forms.ModelChoiceField)
        # offered reasons, and the deal's own even when it has been archived since
        current = self.initial.get("lost_reason_choice") or 0
        reason.queryset = LostReason.objects.filter(archived=False) | LostReason.objects.filter(
            pk=current
        )
        organization = self.fields["organization"]
        contacts = self.fields["contacts"]
        assert isinstance(organization, forms.ModelChoiceField)
        assert isinstance(contacts, forms.ModelMultipleChoiceField)
        organization.queryset = Organization.objects.filter(deleted_at__isnull=True)
        contacts.queryset = Contact.objects.filter(deleted_at__isnull=True)
        self.fields["pipeline"].widget.attrs.update(
            {
                "hx-get": reverse("crm:deal_stage_options"),
                "hx-target": "#id_stage",
                "hx-swap": "innerHTML",
                "hx-trigger": "change",
            }
        )
        stage = self.fields["stage"]
        assert isinstance(stage, forms.ChoiceField)
        stage.choices = [("", "—"), *stage_choices(pipeline_id)]

    def service_values(self, *, initial_status: str | None) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            "name": data["name"],
            "pipeline": data["pipeline"],
            "stage": data["stage"],
            "organization": data.get("organization"),
            "contacts": list(data.get("contacts") or []),
            "owner": data.get("owner"),
            "amount": data.get("amount") or "0",
            "currency": data["currency"],
            "expected_close_date": data.get("expected_close_date") or None,
            "lost_reason": data.get("lost_reason") or "",
            "lost_reason_choice": data.get("lost_reason_choice"),
            "custom_fields": self.custom_values(),
        }
        # The status follows the stage unless the person changed it themselves.
        if data["status"] != (initial_status or DealStatus.OPEN):
            values["status"] = data["status"]
        return values


class NoteForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Plain text, or simple HTML: bold, italic, lists, links, code and quotes."
        ),
    )
