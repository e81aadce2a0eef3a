"""Normalisers and validators for CRM input. Each raises a translated `ValidationError`."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
from django.utils.formats import get_format
from django.utils.numberformat import format as number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenant_apps.crm.iso_codes import COUNTRY_CODES, CURRENCY_CODES

COUNTRY_RE = r"^[A-Z]{2}$"
CURRENCY_RE = r"^[A-Z]{3}$"
PHONE_RE = r"^\+[1-9][0-9]{6,14}$"
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


@deconstructible
class IsoCodeValidator:
    """Accepts only a code of the named ISO list (`country` or `currency`, iso_codes.py)."""

    messages = {
        "country": gettext_lazy("Enter a two-letter ISO 3166 country code, e.g. BG."),
        "currency": gettext_lazy("Enter a three-letter ISO 4217 currency code, e.g. EUR."),
    }

    def __init__(self, kind: str) -> None:
        if kind not in self.messages:
            raise ValueError(f"unknown code list {kind!r}")
        self.kind = kind

    def __call__(self, value: str) -> None:
        codes = COUNTRY_CODES if self.kind == "country" else CURRENCY_CODES
        if value not in codes:
            raise ValidationError(self.messages[self.kind], code="invalid")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IsoCodeValidator) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


country_validator = IsoCodeValidator("country")
currency_validator = IsoCodeValidator("currency")
phone_validator = RegexValidator(
    PHONE_RE, gettext_lazy("Enter a phone number with its country code, e.g. +359 2 123 4567.")
)


def phone_normalize(value: str) -> str:
    """`+359 (2) 123-4567` → `+35921234567`; `00…` becomes `+…`. A number without a country
    code is refused: we cannot guess it."""
    raw = value.strip()
    digits = re.sub(r"[\s().\-/]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(PHONE_RE, digits):
        raise ValidationError(
            _("Enter a phone number with its country code, e.g. +359 2 123 4567."),
            code="invalid_phone",
        )
    return digits


def domain_normalize(value: str) -> str:
    """A lowercase host name from `https://www.Example.com/path`, `example.com` and so on."""
    raw = value.strip().lower()
    if not raw:
        return ""
    host = urlsplit(raw if "//" in raw else f"//{raw}").hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if not _HOST_RE.match(host):
        raise ValidationError(_("Enter a valid domain, e.g. example.com."), code="invalid_domain")
    return host


# Spaces that group digits: plain, no-break (Bulgarian formats), narrow no-break and thin
# (what CLDR and word processors put between groups of three).
_GROUP_SPACES = " \u00a0\u202f\u2009"
_NUMBER_CHARS = re.compile(f"[0-9.,{_GROUP_SPACES}]+")
_FIRST_GROUP = re.compile(r"[1-9][0-9]{0,2}")
MAX_NUMBER_LENGTH = 40


def _number_invalid() -> ValidationError:
    example = number_format(
        Decimal("1250.50"),
        str(get_format("DECIMAL_SEPARATOR")),
        decimal_pos=2,
        grouping=3,
        thousand_sep=str(get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )
    return ValidationError(
        _("Enter a number, e.g. %(example)s.") % {"example": example}, code="invalid_number"
    )


def _marks(text: str, decimal: str, group: str) -> tuple[str | None, str | None]:
    """(decimal mark, group mark) of `text` (digits, `.`, `,` and plain spaces)."""
    marks = [ch for ch in text if ch in ".,"]
    if " " in text:  # spaces group: a mark, if any, is the decimal one
        if len(marks) > 1:
            raise _number_invalid()
        return (marks[0] if marks else None), " "
    if len(set(marks)) == 2:  # 1,234.56 / 1.234,56: the last mark is the decimal one
        mark = text[max(text.rfind("."), text.rfind(","))]
        if text.count(mark) != 1:
            raise _number_invalid()
        return mark, ("," if mark == "." else ".")
    if len(marks) > 1:  # 1,234,567: only grouping repeats
        return None, marks[0]
    if not marks:
        return None, None
    mark = marks[0]
    whole, fraction = text.split(mark)
    if not (_FIRST_GROUP.fullmatch(whole) and len(fraction) == 3):
        return mark, None  # 12,5 / 1234.567 / 0,125: cannot be a thousands separator
    if mark == decimal:
        return mark, None
    if mark == group:
        return None, mark
    raise ValidationError(
        _(
            "“%(value)s” is ambiguous: write %(whole)s for a whole number or %(fraction)s for a"
            " fraction."
        )
        % {"value": text, "whole": whole + fraction, "fraction": f"{whole}{decimal}{fraction}"},
        code="ambiguous_number",
    )


def number_parse(value: str) -> Decimal:
    """A number typed by a person, read in the active language: `12,500.50` or `12500.50`
    in English, `12 500,50` (plain, no-break or narrow no-break spaces) or `1.234,56` in
    Bulgarian. Where both marks appear the last is the decimal one; a single mark that
    cannot group (not followed by exactly three digits) is the decimal one in any language.
    What could be read two ways in the language (`1.234` in Bulgarian) is refused with a
    message saying how to write it, never guessed. Raises a translated `ValidationError`."""
    text = value.strip()
    sign = ""
    if text[:1] in ("-", "+", "\u2212"):
        sign = "" if text[0] == "+" else "-"
        text = text[1:]
    if not text or len(text) > MAX_NUMBER_LENGTH or not _NUMBER_CHARS.fullmatch(text):
        raise _number_invalid()
    text = re.sub(f"[{_GROUP_SPACES}]", " ", text)
    decimal = str(get_format("DECIMAL_SEPARATOR"))
    group = str(get_format("THOUSAND_SEPARATOR")).replace("\u00a0", " ")
    decimal_mark, group_mark = _marks(text, decimal, group)
    whole, _sep, fraction = text.partition(decimal_mark) if decimal_mark else (text, "", "")
    if group_mark:
        first, *rest = whole.split(group_mark)
        if not _FIRST_GROUP.fullmatch(first) or any(len(g) != 3 for g in rest):
            raise _number_invalid()
        whole = first + "".join(rest)
    if not (whole + fraction).isdigit():  # only ASCII digits are left (see _NUMBER_CHARS)
        raise _number_invalid()
    return Decimal(f"{sign}{whole or '0'}" + (f".{fraction}" if fraction else ""))


def number_input(value: Decimal | float | int) -> str:
    """A stored number as the active language writes it in an input (its decimal mark, no
    grouping, no exponent), which `number_parse` reads back as the same number."""
    text = format(Decimal(str(value)), "f")
    return text.replace(".", str(get_format("DECIMAL_SEPARATOR")))
