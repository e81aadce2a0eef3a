"""Planning an `items` change and its prorations (by the second, as Stripe computes them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.stripe_fake import invoice_lines
from tests.stripe_fake.errors import invalid
from tests.stripe_fake.forms import as_bool, as_dict, as_int, as_list, check_known, required
from tests.stripe_fake.periods import ITEM_KEYS, check_intervals, items_of, period
from tests.stripe_fake.store import Obj, Store, new_id

PRORATION_BEHAVIORS = ("create_prorations", "none", "always_invoice")


@dataclass
class Change:
    item: Obj | None  # None: a new item
    old_price: Obj | None
    old_qty: int
    new_price: Obj | None  # None: the item is deleted
    new_qty: int
    metadata: Any = None


def price_of(s: Store, item: Obj) -> Obj:
    return s.objects[item["price"]["id"]]


def plan_items(s: Store, sub: Obj, specs: Any, prefix: str) -> tuple[list[Change], tuple[str, int]]:
    """Validate an `items` parameter against the subscription (nothing changes yet)."""
    changes = []
    for i, spec in enumerate(as_list(specs, prefix)):
        param = f"{prefix}[{i}]"
        spec = as_dict(spec, param)
        check_known(spec, ITEM_KEYS)
        if spec.get("id"):
            item = s.get(spec["id"], "subscription_item", param=f"{param}[id]")
            if item["subscription"] != sub["id"] or item.get("_deleted"):
                raise invalid(f"Invalid subscription_item id: {spec['id']}", "subscription_item")
            old = price_of(s, item)
            if as_bool(spec.get("deleted", False), f"{param}[deleted]"):
                changes.append(Change(item, old, item["quantity"], None, 0))
                continue
            new = (
                s.get(spec["price"], "price", param=f"{param}[price]") if spec.get("price") else old
            )
            qty = as_int(spec.get("quantity", item["quantity"]), f"{param}[quantity]", minimum=0)
            changes.append(Change(item, old, item["quantity"], new, qty, spec.get("metadata")))
        else:
            new = s.get(
                required(spec, "price", param=f"{param}[price]"), "price", param=f"{param}[price]"
            )
            qty = as_int(spec.get("quantity", 1), f"{param}[quantity]", minimum=1)
            changes.append(Change(None, None, 0, new, qty, spec.get("metadata")))
    result = resulting(s, sub, changes)
    if not result:
        raise invalid("A subscription must have at least one active price.", prefix)
    ids = [price["id"] for _, price, _ in result]
    for price_id in ids:
        if ids.count(price_id) > 1:
            raise invalid(
                f"Cannot add multiple subscription items with the same price: {price_id}", prefix
            )
    return changes, check_intervals([(price, prefix) for _, price, _ in result])


def resulting(s: Store, sub: Obj, changes: list[Change]) -> list[tuple[str | None, Obj, int]]:
    """(item id, price, quantity) of every item once `changes` are applied."""
    touched = {c.item["id"]: c for c in changes if c.item}
    out: list[tuple[str | None, Obj, int]] = []
    for item in items_of(s, sub):
        c = touched.get(item["id"])
        if c is None:
            out.append((item["id"], price_of(s, item), item["quantity"]))
        elif c.new_price is not None:
            out.append((item["id"], c.new_price, c.new_qty))
    out += [(None, c.new_price, c.new_qty) for c in changes if c.item is None and c.new_price]
    return out


def prorations(
    s: Store, sub: Obj, changes: list[Change], at: int, *, reset: bool
) -> list[dict[str, Any]]:
    """Proration lines' data: credits for unused time, charges for the remaining time."""
    start, end = period(s, sub)
    if not start <= at <= end:
        raise invalid(
            "The proration date must be within the current billing period.", "proration_date"
        )
    fraction = (end - at) / (end - start) if end > start else 0.0
    when = datetime.fromtimestamp(at, UTC).strftime("%d %b %Y")
    specs: list[dict[str, Any]] = []

    def add(change: Change | None, item_id: str | None, price: Obj, qty: int, sign: int) -> None:
        name = s.objects[price["product"]]["name"]
        text = (
            f"Unused time on {name} after {when}"
            if sign < 0
            else f"Remaining time on {qty} × {name} after {when}"
        )
        amount = sign * round(price["unit_amount"] * qty * fraction)
        specs.append(
            {
                "change": change,
                "item_id": item_id,
                "price": price,
                "quantity": qty,
                "amount": amount,
                "description": text,
                "period": (at, end),
            }
        )

    if reset:
        for item in items_of(s, sub):
            add(None, item["id"], price_of(s, item), item["quantity"], -1)
        return specs
    for c in changes:
        same = (
            c.old_price
            and c.new_price
            and c.old_price["id"] == c.new_price["id"]
            and c.old_qty == c.new_qty
        )
        if same:
            continue
        if c.old_price and c.item:
            add(c, c.item["id"], c.old_price, c.old_qty, -1)
        if c.new_price and c.new_qty:
            add(c, c.item["id"] if c.item else None, c.new_price, c.new_qty, +1)
    return specs


def spec_line(s: Store, sub: Obj, spec: dict[str, Any], invoice_item: str | None = None) -> Obj:
    item_id = spec["item_id"] or (
        spec["change"].item["id"] if spec["change"] and spec["change"].item else None
    )
    return invoice_lines.line(
        s,
        price=spec["price"],
        quantity=spec["quantity"],
        amount=spec["amount"],
        period=spec["period"],
        description=spec["description"],
        sub_id=sub["id"],
        item_id=item_id,
        proration=True,
        invoice_item=invoice_item,
    )


def period_line(
    s: Store, sub: Obj, item_id: str | None, price: Obj, qty: int, span: tuple[int, int]
) -> Obj:
    name = s.objects[price["product"]]["name"]
    return invoice_lines.line(
        s,
        price=price,
        quantity=qty,
        amount=price["unit_amount"] * qty,
        period=span,
        description=f"{qty} × {name}",
        sub_id=sub["id"],
        item_id=item_id,
    )


def store_invoice_item(s: Store, sub: Obj, spec: dict[str, Any]) -> Obj:
    li = spec_line(s, sub, spec)
    ii = s.add(
        {
            "id": new_id("ii"),
            "object": "invoiceitem",
            "amount": li["amount"],
            "currency": li["currency"],
            "customer": sub["customer"],
            "date": s.now,
            "description": li["description"],
            "discountable": False,
            "discounts": [],
            "invoice": None,
            "livemode": False,
            "metadata": {},
            "parent": {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": sub["id"],
                    "subscription_item": li["subscription_item"],
                },
            },
            "period": li["period"],
            "pricing": li["pricing"],
            "proration": True,
            "proration_details": {"credited_items": None},
            "quantity": li["quantity"],
            "tax_rates": [],
            "test_clock": None,
            "unit_amount": spec["price"]["unit_amount"],
            # legacy fields dj-stripe 2.11 reads
            "price": li["price"],
            "subscription": sub["id"],
            "subscription_item": li["subscription_item"],
        }
    )
    s.emit("invoiceitem.created", ii)
    return ii
