"""Bulgarian month names in lower case ("22 декември 2026"), as Bulgarian writes them;
Django's own catalog capitalizes them."""

from __future__ import annotations

import datetime

from django.template import Context, Template
from django.utils import translation


def test_bulgarian_months_in_lower_case() -> None:
    template = Template(
        '{{ day|date:"DATE_FORMAT" }} | {{ day|date:"F Y" }} | {{ day|date:"j E" }}'
    )
    with translation.override("bg"):
        rendered = template.render(Context({"day": datetime.date(2026, 12, 22)}))
    assert rendered == "22 декември 2026 | декември 2026 | 22 декември"
