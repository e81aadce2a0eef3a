"""`{{ deal.amount|money:deal.currency }}`: an amount with its currency as the active language
writes money (`€12,500.50`, `12 500,50 €`), the same as the lists and the export."""

from __future__ import annotations

from decimal import Decimal

from django import template

from tenant_apps.crm.money import money_format

register = template.Library()


@register.filter
def money(amount: Decimal | int | None, currency: str) -> str:
    """ "" without an amount."""
    return money_format(amount, currency)
