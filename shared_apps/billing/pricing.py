"""What the pricing page says about a plan, in the active language: prices, limits and
features as ready-made lines, so the template only lays them out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from shared_apps.billing.features import FEATURES
from shared_apps.billing.models import Plan

MONTHLY = "monthly"
YEARLY = "yearly"
PERIODS = (MONTHLY, YEARLY)

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _number(value: int | Decimal, decimal_pos: int | None = None) -> str:
    # Grouped by three with the language's separators: 5,000 in English, 5 000 in Bulgarian.
    # (Django's Bulgarian formats name a thousands separator but no grouping.)
    return numberformat.format(
        value,
        str(get_format("DECIMAL_SEPARATOR")),
        decimal_pos=decimal_pos,
        grouping=3,
        thousand_sep=str(get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )


def count(value: int) -> str:
    return _number(value)


def money(cents: int, currency: str = "EUR") -> str:
    """€19 / €1,490 / €15.50 in English; the translation orders it (19 €) and the locale
    groups and separates the digits."""
    amount = Decimal(cents) / 100
    places = 0 if cents % 100 == 0 else 2
    return pgettext("money: symbol and amount", "%(symbol)s%(amount)s") % {
        "symbol": CURRENCY_SYMBOLS.get(currency, f"{currency}\N{NO-BREAK SPACE}"),
        "amount": _number(amount, decimal_pos=places),
    }


def storage(megabytes: int) -> str:
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return _("%(size)s GB") % {"size": count(megabytes // 1024)}
    return _("%(size)s MB") % {"size": count(megabytes)}


@dataclass(frozen=True)
class Price:
    amount: str  # "€19"
    per: str  # "per month"
    note: str  # "€190 a year: two months free" or ""


@dataclass(frozen=True)
class Feature:
    label: str
    included: bool


@dataclass(frozen=True)
class PlanCard:
    slug: str
    name: str
    description: str
    price: Price
    limits: list[str]
    features: list[Feature]


def plan_price(plan: Plan, period: str) -> Price:
    monthly = plan.price_monthly_cents
    yearly = plan.price_yearly_cents
    if monthly == 0 and not yearly:
        return Price(amount=_("Free"), per="", note="")
    if period == YEARLY and yearly is not None:
        saving = monthly * 12 - yearly
        note = (
            _("You save %(amount)s a year.") % {"amount": money(saving, plan.currency)}
            if saving > 0
            else ""
        )
        return Price(amount=money(yearly, plan.currency), per=_("per year"), note=note)
    note = _("Billed monthly only.") if period == YEARLY else ""
    return Price(amount=money(monthly, plan.currency), per=_("per month"), note=note)


def plan_limits(plan: Plan) -> list[str]:
    lines = []
    if plan.seats is None:
        lines.append(_("Unlimited members"))
    else:
        lines.append(
            ngettext("%(count)s member", "%(count)s members", plan.seats)
            % {"count": count(plan.seats)}
        )
    if plan.contacts is None:
        lines.append(_("Unlimited contacts"))
    else:
        lines.append(
            ngettext("%(count)s contact", "%(count)s contacts", plan.contacts)
            % {"count": count(plan.contacts)}
        )
    if plan.storage_mb is None:
        lines.append(_("Unlimited file storage"))
    else:
        lines.append(_("%(size)s of file storage") % {"size": storage(plan.storage_mb)})
    if plan.features.get("ai"):
        if plan.ai_requests_per_month is None:
            lines.append(_("Unlimited AI assistant requests"))
        else:
            lines.append(
                ngettext(
                    "%(count)s AI assistant request a month",
                    "%(count)s AI assistant requests a month",
                    plan.ai_requests_per_month,
                )
                % {"count": count(plan.ai_requests_per_month)}
            )
    if plan.features.get("api"):
        if plan.api_requests_per_minute is None:
            lines.append(_("API without a rate limit"))
        else:
            lines.append(
                ngettext(
                    "API: %(count)s request a minute",
                    "API: %(count)s requests a minute",
                    plan.api_requests_per_minute,
                )
                % {"count": count(plan.api_requests_per_minute)}
            )
    return lines


def plan_card(plan: Plan, period: str) -> PlanCard:
    return PlanCard(
        slug=plan.slug,
        name=plan.name,
        description=plan.description,
        price=plan_price(plan, period),
        limits=plan_limits(plan),
        features=[
            Feature(label=str(label), included=bool(plan.features.get(name)))
            for name, label in FEATURES.items()
        ],
    )
