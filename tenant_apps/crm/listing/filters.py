"""List filters. Each filter adds one or two fields to the list's filter form (named as in the
query string) and narrows the queryset with the cleaned values. A value that does not clean
is reported next to its field and left out; the others still apply."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tenant_apps.crm.search_text import search_normalize
from tenant_apps.crm.validators import currency_validator, number_parse

Label = StrOrPromise
Cleaned = dict[str, Any]

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
_YES_NO_ALIASES = {"1": "yes", "true": "yes", "on": "yes", "0": "no", "false": "no", "off": "no"}


class YesNoField(forms.ChoiceField):
    """ "yes" / "no" (also 1/0, true/false, on/off) or empty for any."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value).strip().lower()
        return _YES_NO_ALIASES.get(text, text)


class NumberField(forms.Field):
    """A number as a person types it in the active language (validators.number_parse):
    `12,500.50` in English, `12 500,50` or `1.234,56` in Bulgarian; ambiguous input gets a
    message saying how to write it. At most 14 digits before the decimal mark and 6 after."""

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or not str(value).strip():
            return None
        number = number_parse(str(value))
        if abs(number.adjusted()) > 13 or -number.as_tuple().exponent > 6:  # type: ignore[operator]
            raise forms.ValidationError(_("This number is too large or too precise."))
        return number


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _day_start_or_none(day: datetime.date, *, days: int = 0) -> datetime.datetime | None:
    try:
        return day_start(day + datetime.timedelta(days=days)).astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        return None


@dataclass(frozen=True)
class Filter:
    name: str
    label: Label

    def fields(self) -> dict[str, forms.Field]:
        raise NotImplementedError

    def q(self, cleaned: Cleaned) -> Q | None:
        """The condition for the cleaned values (only this filter's valid ones), or None."""
        raise NotImplementedError

    def check(self, form: forms.Form) -> None:
        """Rules between this filter's fields, once the form has cleaned: add errors to
        `form` (the fields in error are then left out)."""

    def apply(self, qs: QuerySet[Any], cleaned: Cleaned) -> QuerySet[Any]:
        condition = self.q(cleaned)
        return qs if condition is None else qs.filter(condition)


@dataclass(frozen=True)
class QuickText(Filter):
    """Words anywhere in the record's normalised `search_text` (trigram index), or, for
    models without one, in `lookup`."""

    lookup: str = "search_text"
    normalise: bool = True

    def fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.CharField(label=self.label, required=False, max_length=200)}

    def q(self, cleaned: Cleaned) -> Q | None:
        text = (cleaned.get(self.name) or "").strip()
        if not text:
            return None
        if self.normalise:
            # `search_text` is already in this normal form: a plain LIKE, which the trigram
            # index serves (`icontains` would compare UPPER(search_text), which it does not)
            return Q(**{f"{self.lookup}__contains": search_normalize(text)})
        return Q(**{f"{self.lookup}__icontains": text})


@dataclass(frozen=True)
class Text(Filter):
    """Contains, case-insensitively (text and link fields, custom ones too)."""

    lookup: str = ""

    def fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.CharField(label=self.label, required=False, max_length=200)}

    def q(self, cleaned: Cleaned) -> Q | None:
        text = (cleaned.get(self.name) or "").strip()
        return Q(**{f"{self.lookup}__icontains": text}) if text else None


@dataclass(frozen=True)
class RelatedText(Filter):
    """Contains, in any of the record's rows of a one-to-many table (a contact's emails),
    without joining those rows into duplicates."""

    lookup: str = ""
    through: tuple[type[Model], str] | None = None

    def fields(self) -> dict[str, forms.Field]:
        return {self.name: forms.CharField(label=self.label, required=False, max_length=200)}

    def q(self, cleaned: Cleaned) -> Q | None:
        text = (cleaned.get(self.name) or "").strip()
        if not text or self.through is None:
            return None
        model, own_column = self.through
        rows = model._default_manager.filter(
            **{own_column: OuterRef("pk"), f"{self.lookup}__icontains": text}
        )
        return Q(Exists(rows))


@dataclass(frozen=True)
class Choice(Filter):
    """Any of the ticked values."""

    lookup: str = ""
    choices: Sequence[tuple[str, Label]] = ()

    def fields(self) -> dict[str, forms.Field]:
        return {
            self.name: forms.MultipleChoiceField(
                label=self.label,
                required=False,
                choices=list(self.choices),
                widget=forms.CheckboxSelectMultiple,
            )
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        values = cleaned.get(self.name) or []
        return Q(**{f"{self.lookup}__in": values}) if values else None


@dataclass(frozen=True)
class MultiChoice(Choice):
    """A multiple-choice custom field holding any of the ticked values."""

    def q(self, cleaned: Cleaned) -> Q | None:
        condition = None
        for value in cleaned.get(self.name) or []:
            one = Q(**{f"{self.lookup}__contains": [value]})
            condition = one if condition is None else condition | one
        return condition


@dataclass(frozen=True)
class Flag(Filter):
    """Yes / no / any. For a custom checkbox, a missing value counts as no."""

    lookup: str = ""
    missing_is_no: bool = False  # custom checkboxes: no value stored counts as "no"

    def fields(self) -> dict[str, forms.Field]:
        return {
            self.name: YesNoField(label=self.label, required=False, choices=YES_NO),
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        value = cleaned.get(self.name)
        if value == "yes":
            return Q(**{self.lookup: True})
        if value == "no" and self.missing_is_no:
            return ~Q(**{self.lookup: True}) | Q(**{f"{self.lookup}__isnull": True})
        if value == "no":
            return Q(**{self.lookup: False})
        return None


@dataclass(frozen=True)
class DateRange(Filter):
    """`<name>_from` and `<name>_to`, both inclusive, as YYYY-MM-DD. `kind` is "datetime"
    (whole days in the company's time zone), "date", or "isodate" (a custom field's ISO
    string, which sorts like the date)."""

    lookup: str = ""
    kind: str = "datetime"

    def fields(self) -> dict[str, forms.Field]:
        def date_field(label: Label) -> forms.DateField:
            return forms.DateField(
                label=label,
                required=False,
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

        return {
            f"{self.name}_from": date_field(_("from")),
            f"{self.name}_to": date_field(_("to")),
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        start, end = cleaned.get(f"{self.name}_from"), cleaned.get(f"{self.name}_to")
        condition = Q()
        if self.kind == "datetime":
            # a day at the edge of the calendar (0001-01-01, 9999-12-31) has no midnight
            # before / after it that Python can hold: that bound then leaves nothing out
            low = _day_start_or_none(start) if start else None
            high = _day_start_or_none(end, days=1) if end else None
            if low is not None:
                condition &= Q(**{f"{self.lookup}__gte": low})
            if high is not None:
                condition &= Q(**{f"{self.lookup}__lt": high})
        else:
            as_value = (lambda d: d.isoformat()) if self.kind == "isodate" else (lambda d: d)
            if start:
                condition &= Q(**{f"{self.lookup}__gte": as_value(start)})
            if end:
                condition &= Q(**{f"{self.lookup}__lte": as_value(end)})
        return condition or None


@dataclass(frozen=True)
class NumberRange(Filter):
    """`<name>_min` and `<name>_max`, both inclusive. `json`: a custom field's JSON number."""

    lookup: str = ""
    json: bool = False

    def fields(self) -> dict[str, forms.Field]:
        def number_field(label: Label) -> NumberField:
            return NumberField(label=label, required=False)

        return {
            f"{self.name}_min": number_field(_("min")),
            f"{self.name}_max": number_field(_("max")),
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        low, high = cleaned.get(f"{self.name}_min"), cleaned.get(f"{self.name}_max")

        def value(number: Decimal) -> Any:
            return float(number) if self.json else number

        condition = Q()
        if low is not None:
            condition &= Q(**{f"{self.lookup}__gte": value(low)})
        if high is not None:
            condition &= Q(**{f"{self.lookup}__lte": value(high)})
        return condition or None


class CurrencyField(forms.CharField):
    """A three-letter ISO 4217 code, in any case (`usd` is USD)."""

    default_validators = [currency_validator]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=3, **kwargs)

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "").upper()


@dataclass(frozen=True)
class MoneyRange(NumberRange):
    """`<name>_min` and `<name>_max` in the currency `<name>_currency`: amounts in different
    currencies do not compare, so a bound needs the currency (and the currency alone keeps
    the rows in that currency)."""

    currency_lookup: str = "currency"

    def fields(self) -> dict[str, forms.Field]:
        return {
            **super().fields(),
            f"{self.name}_currency": CurrencyField(label=_("currency"), required=False),
        }

    def check(self, form: forms.Form) -> None:
        cleaned = getattr(form, "cleaned_data", {})
        name = f"{self.name}_currency"
        bounds = [cleaned.get(f"{self.name}_{end}") for end in ("min", "max")]
        if name not in form.errors and not cleaned.get(name) and any(b is not None for b in bounds):
            form.add_error(name, _("Choose the currency of the amounts, e.g. EUR."))

    def q(self, cleaned: Cleaned) -> Q | None:
        currency = cleaned.get(f"{self.name}_currency")
        if not currency:
            return None  # bounds without a currency are refused by check()
        condition = Q(**{self.currency_lookup: currency})
        bounds = super().q(cleaned)
        return condition & bounds if bounds is not None else condition


@dataclass(frozen=True)
class People(Filter):
    """Owner or assignee: members of the company (their user ids), chosen from a list the
    view fills in (`choices` here is the default, empty)."""

    lookup: str = ""
    choices: Sequence[tuple[str, Label]] = field(default_factory=tuple)

    def fields(self) -> dict[str, forms.Field]:
        return {
            self.name: forms.TypedMultipleChoiceField(
                label=self.label,
                required=False,
                coerce=int,
                choices=list(self.choices),
                widget=forms.SelectMultiple(attrs={"size": 4}),
            )
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        ids = cleaned.get(self.name) or []
        return Q(**{f"{self.lookup}__in": ids}) if ids else None


@dataclass(frozen=True)
class Related(Filter):
    """Rows linked to any of the chosen objects of `model` (ids from the query string; ids
    that are not this company's are refused by the form). `widget` "select" lists every
    option (small tables: tags, pipelines, stages); "hidden" keeps the ids without listing
    thousands of organizations (the page shows the chosen ones as removable chips)."""

    lookup: str = ""
    model: type[Model] | None = None
    live_only: bool = False
    widget: str = "select"
    through: tuple[type[Model], str, str] | None = None

    def queryset(self) -> QuerySet[Any]:
        assert self.model is not None
        qs = self.model._default_manager.all()
        return qs.filter(deleted_at__isnull=True) if self.live_only else qs

    def fields(self) -> dict[str, forms.Field]:
        widget: forms.Widget = (
            forms.SelectMultiple(attrs={"size": 4})
            if self.widget == "select"
            else forms.MultipleHiddenInput()
        )
        return {
            self.name: forms.ModelMultipleChoiceField(
                label=self.label, required=False, queryset=self.queryset(), widget=widget
            )
        }

    def q(self, cleaned: Cleaned) -> Q | None:
        chosen = list(cleaned.get(self.name) or [])
        if not chosen:
            return None
        if self.through is not None:
            # many-to-many (tags): any of them, without joining rows into duplicates
            through, own_column, other_column = self.through
            rows = through._default_manager.filter(
                **{own_column: OuterRef("pk"), f"{other_column}__in": [o.pk for o in chosen]}
            )
            return Q(Exists(rows))
        return Q(**{f"{self.lookup}__in": [o.pk for o in chosen]})
