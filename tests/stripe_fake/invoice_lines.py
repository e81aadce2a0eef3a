"""Invoice lines (`line_item`) in the current shape plus the legacy fields dj-stripe reads."""

from __future__ import annotations

from tests.stripe_fake.store import Obj, Store, new_id


def line(
    s: Store,
    *,
    price: Obj,
    quantity: int,
    amount: int,
    period: tuple[int, int],
    description: str,
    sub_id: str | None,
    item_id: str | None,
    proration: bool = False,
    invoice_item: str | None = None,
) -> Obj:
    """An invoice line (`line_item`) in the current shape plus the legacy fields dj-stripe reads."""
    details = {"proration": proration, "proration_details": {"credited_items": None}}
    if invoice_item:
        parent = {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": invoice_item,
                "subscription": sub_id,
                **details,
            },
            "subscription_item_details": None,
        }
    else:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "subscription": sub_id,
                "subscription_item": item_id,
                **details,
            },
        }
    return {
        "id": new_id("il"),
        "object": "line_item",
        "amount": amount,
        "currency": price["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": not proration,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "parent": parent,
        "period": {"start": period[0], "end": period[1]},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(price["unit_amount"]),
        },
        "quantity": quantity,
        "taxes": [],
        # legacy (before API version 2025-03-31.basil), still read by dj-stripe 2.11
        "invoice_item": invoice_item,
        "price": s.render(price),
        "proration": proration,
        "subscription": sub_id,
        "subscription_item": item_id,
        "type": "invoiceitem" if invoice_item else "subscription",
    }


def item_line(
    s: Store, item: Obj, sub: Obj, period: tuple[int, int], *, trial: bool = False
) -> Obj:
    price = s.objects[item["price"]["id"]]
    name = s.objects[price["product"]]["name"]
    quantity = item["quantity"]
    description = f"Trial period for {name}" if trial else f"{quantity} × {name}"
    amount = 0 if trial else price["unit_amount"] * quantity
    return line(
        s,
        price=price,
        quantity=quantity,
        amount=amount,
        period=period,
        description=description,
        sub_id=sub["id"],
        item_id=item["id"],
    )


def pending_item_lines(s: Store, customer_id: str, sub_id: str | None) -> list[Obj]:
    """Lines for the customer's pending invoice items (prorations) of this subscription."""
    lines = []
    for ii in reversed(s.find("invoiceitem", lambda o: o["customer"] == customer_id)):
        if ii["invoice"] is None and ii["subscription"] == sub_id:
            lines.append(
                line(
                    s,
                    price=s.objects[ii["price"]["id"]],
                    quantity=ii["quantity"],
                    amount=ii["amount"],
                    period=(ii["period"]["start"], ii["period"]["end"]),
                    description=ii["description"],
                    sub_id=sub_id,
                    item_id=ii["subscription_item"],
                    proration=ii["proration"],
                    invoice_item=ii["id"],
                )
            )
    return lines
