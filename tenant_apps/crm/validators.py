"""Normalisers and validators for CRM input. Each raises a translated `ValidationError`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible
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
