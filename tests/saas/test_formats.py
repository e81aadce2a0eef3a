"""Short dates and date-times are European in both languages: Django's `bg` locale has no
SHORT_DATETIME_FORMAT (the security pages, the bin and the invitations wrote "12/08/2026 12:52
преди обяд"), and Django's `en` writes American 12/08/2026."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation


def test_bulgarian_short_datetime_is_day_month_year_24_hours() -> None:
    moment = datetime.datetime(2026, 12, 8, 0, 52)
    template = Template('{{ moment|date:"SHORT_DATETIME_FORMAT" }}')
    with translation.override("bg"):
        assert template.render(Context({"moment": moment})) == "08.12.2026 00:52"


def test_bulgarian_formats_otherwise_django_s() -> None:
    moment = datetime.date(2026, 12, 8)
    template = Template('{{ moment|date:"SHORT_DATE_FORMAT" }}')
    with translation.override("bg"):
        assert template.render(Context({"moment": moment})) == "08.12.2026"


def test_english_short_dates_are_european() -> None:
    moment = datetime.datetime(2026, 12, 8, 14, 52)
    template = Template(
        '{{ moment|date:"SHORT_DATE_FORMAT" }} | {{ moment|date:"SHORT_DATETIME_FORMAT" }}'
    )
    with translation.override("en"):
        assert template.render(Context({"moment": moment})) == "08.12.2026 | 08.12.2026 14:52"


def test_bulgarian_grouped_numbers() -> None:
    template = Template('{{ amount|floatformat:"2g" }}')
    with translation.override("bg"):
        assert template.render(Context({"amount": Decimal("12500.5")})) == "12\xa0500,50"
