"""List columns: what a cell shows (and exports), and the expression a column sorts by."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, CharField, DateField, F, FloatField, Model
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, Lower
from django.utils.formats import date_format, number_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django_stubs_ext import StrOrPromise

from tenant_apps.crm.models import CustomField, CustomFieldType

Label = StrOrPromise
SortExpression = Callable[[], Any]


@dataclass(frozen=True)
class Column:
    key: str
    label: Label
    value: Callable[[Any], Any]
    # None: not sortable (multi-valued cells such as tags)
    sort: SortExpression | None = None
    default: bool = True
    numeric: bool = False
    # A NOT NULL key sorted before `sort` (keyset.GROUP): amounts group by their currency,
    # since amounts in different currencies do not compare.
    group: SortExpression | None = None

    def sort_nullable(self, model: type[Model]) -> bool:
        """Whether the sort key can be NULL: False only for a column of the model's own that
        is NOT NULL (which lets keyset pagination seek in an index; see listing.keyset)."""
        name = getattr(self.sort, "field", None)
        if not name or "__" in name:
            return True
        return bool(getattr(model._meta.get_field(name), "null", True))


def text(value: Any) -> str:
    """A cell as text, for the page and the CSV file alike."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.datetime):
        return date_format(localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | float | int):
        return number_format(value)
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    return str(value)


def attr(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        for part in name.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        return obj

    return get


def display(name: str) -> Callable[[Any], Any]:
    """A choice field's label (`get_<name>_display`)."""
    return lambda obj: getattr(obj, f"get_{name}_display")()


def person(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        user = getattr(obj, name)
        return user.get_full_name() if user is not None else None

    return get


def tag_names(obj: Any) -> list[str]:
    return [t.name for t in obj.tags.all()]


def lower(name: str) -> SortExpression:
    def sort() -> Any:
        return Lower(name)

    sort.field = name  # type: ignore[attr-defined]
    return sort


def plain(name: str) -> SortExpression:
    def sort() -> Any:
        return F(name)

    sort.field = name  # type: ignore[attr-defined]
    return sort


def people_sort(name: str) -> SortExpression:
    """By the person's name (their email when they have none); a user row is in public."""
    return lambda: Lower(Coalesce(f"{name}__full_name", f"{name}__email", output_field=CharField()))


def custom_column(definition: CustomField) -> Column:
    key = definition.key

    def value(obj: Any) -> Any:
        raw = (obj.custom_fields or {}).get(key)
        if definition.type == CustomFieldType.DATE and isinstance(raw, str):
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                return raw
        return raw

    sort: SortExpression | None
    if definition.type == CustomFieldType.NUMBER:
        # the services store numbers as JSON numbers, which cast to float
        sort = lambda: Cast(KeyTransform(key, "custom_fields"), FloatField())  # noqa: E731
    elif definition.type == CustomFieldType.DATE:
        sort = lambda: Cast(KeyTextTransform(key, "custom_fields"), DateField())  # noqa: E731
    elif definition.type == CustomFieldType.BOOL:
        sort = lambda: Cast(KeyTransform(key, "custom_fields"), BooleanField())  # noqa: E731
    elif definition.type == CustomFieldType.MULTI:
        sort = None
    else:
        sort = lambda: Lower(KeyTextTransform(key, "custom_fields"))  # noqa: E731
    return Column(
        key=f"cf_{key}",
        label=definition.label,
        value=value,
        sort=sort,
        default=False,
        numeric=definition.type == CustomFieldType.NUMBER,
    )
