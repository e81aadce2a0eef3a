"""Short date-times are European in Bulgarian: Django's `bg` locale has no
SHORT_DATETIME_FORMAT, which made the security pages, the bin and the invitations write
"12/08/2026 12:52 преди обяд"."""

from __future__ import annotations

import datetime

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
