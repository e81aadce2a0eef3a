"""Amounts with their currency, written the way the active language writes money:
`$24,800.00` and `€1,234.56` in English, `24 800,00 $` and `1 234,56 €` in Bulgarian (no-break
spaces). Currencies without a common sign are written with their ISO code (`CHF 1,250.00`,
`1 250,00 CHF`).

Django's locale formats give the separators; the translation orders sign and number. (Babel
would know every locale's currency patterns, but it is a build-time tool here and the two
languages we ship need only this.)"""

from __future__ import annotations

from decimal import Decimal

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import pgettext

SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}


def amount_format(amount: Decimal | int, *, places: int = 2) -> str:
    """`24,800.00` / `24 800,00`: grouped by three with the language's separators."""
    return numberformat.format(
        amount,
        str(get_format("DECIMAL_SEPARATOR")),
        decimal_pos=places,
        grouping=3,
        thousand_sep=str(get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )


def money_format(amount: Decimal | int | None, currency: str) -> str:
    """The amount with its currency in the active language ("" without an amount)."""
    if amount is None:
        return ""
    number = amount_format(amount)
    sign = SIGNS.get(currency)
    if sign is not None:
        return pgettext("money: currency sign and amount", "%(sign)s%(amount)s") % {
            "sign": sign,
            "amount": number,
        }
    text = pgettext("money: currency code and amount", "%(code)s %(amount)s") % {
        "code": currency,
        "amount": number,
    }
    # a no-break space keeps the code beside its amount (not in the msgid: xgettext would
    # keep the escape as text and the translation would never match)
    return text.replace(" ", "\u00a0")
