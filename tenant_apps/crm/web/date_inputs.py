"""Date and time inputs in the European form (31.12.2026, 14:30) in every language.

Browsers show `<input type="date">` and `type="time"` in the browser's own locale (an
English browser in the US shows 12/31/2026 and 2:30 PM, whatever the page's language), so
these are text inputs with the format written as their placeholder. ISO values (what a
date picker or an older form posts) are accepted too.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATE_FORMAT = "%d.%m.%Y"
TIME_FORMAT = "%H:%M"
DATETIME_FORMAT = f"{DATE_FORMAT} {TIME_FORMAT}"
DATE_INPUTS = [DATE_FORMAT, "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
TIME_INPUTS = [TIME_FORMAT, "%H.%M", "%H:%M:%S"]
DATETIME_INPUTS = [
    DATETIME_FORMAT,
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y %H.%M",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
]


class EuropeanDateField(forms.DateField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_INPUTS)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                format=DATE_FORMAT,
                attrs={"placeholder": _("dd.mm.yyyy"), "inputmode": "numeric", "size": 10},
            ),
        )
        kwargs.setdefault("error_messages", {"invalid": _("Enter a date as dd.mm.yyyy.")})
        super().__init__(**kwargs)


class EuropeanTimeField(forms.TimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", TIME_INPUTS)
        kwargs.setdefault(
            "widget",
            forms.TimeInput(
                format=TIME_FORMAT,
                attrs={"placeholder": _("hh:mm"), "inputmode": "numeric", "size": 5},
            ),
        )
        kwargs.setdefault("error_messages", {"invalid": _("Enter a time as hh:mm (24 hours).")})
        super().__init__(**kwargs)


class EuropeanDateTimeField(forms.DateTimeField):
    """A date and a 24-hour time in one input: `31.12.2026 14:30`. With `date_only_at`, a
    date alone is accepted and means that time of the day."""

    def __init__(self, *, date_only_at: datetime.time | None = None, **kwargs: Any) -> None:
        self.date_only_at = date_only_at
        kwargs.setdefault("input_formats", DATETIME_INPUTS)
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                format=DATETIME_FORMAT,
                attrs={"placeholder": _("dd.mm.yyyy hh:mm"), "size": 16},
            ),
        )
        kwargs.setdefault(
            "error_messages",
            {"invalid": _("Enter a date and time as dd.mm.yyyy hh:mm (24 hours).")},
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.datetime | None:
        if self.date_only_at is not None and isinstance(value, str) and value.strip():
            for fmt in DATE_INPUTS:
                try:
                    day = datetime.datetime.strptime(value.strip(), fmt).date()
                except ValueError:
                    continue
                return timezone.make_aware(datetime.datetime.combine(day, self.date_only_at))
        return super().to_python(value)
