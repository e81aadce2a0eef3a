"""Billing periods and subscription items: intervals, the current period (on the items)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from tests.stripe_fake.errors import invalid
from tests.stripe_fake.forms import apply_metadata
from tests.stripe_fake.store import Obj, Store, new_id

DAY = 86400
ITEM_KEYS = frozenset(
    {
        "id",
        "price",
        "quantity",
        "deleted",
        "metadata",
        "clear_usage",
        "discounts",
        "tax_rates",
        "price_data",
        "billing_thresholds",
    }
)
PAYMENT_BEHAVIORS = (
    "allow_incomplete",
    "default_incomplete",
    "error_if_incomplete",
    "pending_if_incomplete",
)


def add_interval(ts: int, interval: str, count: int) -> int:
    if interval in ("day", "week"):
        return ts + count * DAY * (7 if interval == "week" else 1)
    start = datetime.fromtimestamp(ts, UTC)
    months = start.month - 1 + count * (12 if interval == "year" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())


def recurring(price: Obj, param: str) -> tuple[str, int]:
    if not price["recurring"]:
        raise invalid(
            "The price specified is set to `type=one_time` but this field only accepts "
            "prices with `type=recurring`.",
            param,
        )
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def items_of(s: Store, sub: Obj) -> list[Obj]:
    return [s.objects[i] for i in sub["items"]["data"]]


def period(s: Store, sub: Obj) -> tuple[int, int]:
    first = items_of(s, sub)[0]
    return first["current_period_start"], first["current_period_end"]


def set_period(s: Store, sub: Obj, start: int, end: int) -> None:
    for item in items_of(s, sub):
        item["current_period_start"], item["current_period_end"] = start, end
    if s.legacy_periods:
        sub["current_period_start"], sub["current_period_end"] = start, end
    if sub["cancel_at_period_end"]:
        sub["cancel_at"] = end


def next_period_end(s: Store, sub: Obj, cycles_ahead: int = 1) -> int:
    interval, count = recurring(s.objects[items_of(s, sub)[0]["price"]["id"]], "items")
    return add_interval(
        sub["billing_cycle_anchor"], interval, count * (sub["_cycle"] + cycles_ahead)
    )


def new_item(s: Store, sub: Obj, price: Obj, quantity: int, metadata: Any = None) -> Obj:
    start, end = period(s, sub) if sub["items"]["data"] else (s.now, s.now)
    item = s.add(
        {
            "id": new_id("si", 14),
            "object": "subscription_item",
            "billing_thresholds": None,
            "created": s.now,
            "current_period_end": end,
            "current_period_start": start,
            "discounts": [],
            "metadata": {},
            "price": s.render(price),
            "quantity": quantity,
            "subscription": sub["id"],
            "tax_rates": [],
        }
    )
    apply_metadata(item, metadata)
    sub["items"]["data"].append(item["id"])
    sub["items"]["total_count"] = len(sub["items"]["data"])
    return item


def check_intervals(prices: list[tuple[Obj, str]]) -> tuple[str, int]:
    intervals = {recurring(price, param) for price, param in prices}
    if len(intervals) > 1:
        raise invalid(
            "Currency and interval fields must match across all prices on a subscription.",
            "items",
        )
    return intervals.pop()
