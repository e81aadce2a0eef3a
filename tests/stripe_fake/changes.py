"""Subscription updates: plan change with prorations, cancel at period end, trial changes;
and the subscription item update.

`proration_behavior`: `create_prorations` (default) leaves the prorations as pending invoice
items for the next invoice, `always_invoice` invoices them at once, `none` skips them. A change
of billing interval (month to year) restarts the period now and invoices at once.
"""

from __future__ import annotations

from typing import Any

from tests.stripe_fake import invoice_lines, invoices
from tests.stripe_fake.errors import card_declined, invalid
from tests.stripe_fake.forms import apply_metadata, as_bool, as_choice, as_dict, as_int
from tests.stripe_fake.periods import (
    PAYMENT_BEHAVIORS,
    add_interval,
    items_of,
    new_item,
    period,
    recurring,
    set_period,
)
from tests.stripe_fake.prorations import (
    PRORATION_BEHAVIORS,
    period_line,
    plan_items,
    price_of,
    prorations,
    resulting,
    store_invoice_item,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store


def update(s: Store, sub: Obj, p: dict[str, Any]) -> None:
    if sub["status"] in ("canceled", "incomplete_expired") and set(p) - {
        "metadata",
        "cancellation_details",
        "expand",
    }:
        raise invalid(
            "A canceled subscription can only update its cancellation_details and metadata."
        )
    customer = s.objects[sub["customer"]]
    behavior = as_choice(
        p.get("proration_behavior") or "create_prorations",
        "proration_behavior",
        PRORATION_BEHAVIORS,
    )
    paying = as_choice(
        p.get("payment_behavior") or "allow_incomplete", "payment_behavior", PAYMENT_BEHAVIORS
    )
    at = as_int(p["proration_date"], "proration_date") if p.get("proration_date") else s.now
    current = recurring(price_of(s, items_of(s, sub)[0]), "items")
    changes, interval = plan_items(s, sub, p["items"], "items") if p.get("items") else ([], current)
    trialing = sub["status"] == "trialing"
    end_trial = trialing and p.get("trial_end") == "now"
    reset = (interval != current or p.get("billing_cycle_anchor") == "now") and not trialing
    specs = [] if trialing or behavior == "none" else prorations(s, sub, changes, at, reset=reset)
    pm = p.get("default_payment_method")
    if (
        pm
        and s.get(pm, "payment_method", param="default_payment_method")["customer"]
        != customer["id"]
    ):
        raise invalid(
            "The payment method must be attached to the customer.", "default_payment_method"
        )
    immediate = reset or end_trial or (behavior == "always_invoice" and bool(specs))
    full = sum(price["unit_amount"] * qty for _, price, qty in resulting(s, sub, changes))
    due = sum(sp["amount"] for sp in specs) + (full if reset or end_trial else 0)
    if immediate and paying == "error_if_incomplete" and due > 0:
        outcome, code = invoices.peek_outcome(
            s, customer["id"], pm or invoices.payment_method_for_sub(s, sub)
        )
        if outcome != "succeed":
            invoices.consume_outcome(s, customer["id"])
            raise card_declined(code)

    before = s.render(sub)
    apply_metadata(sub, p.get("metadata"))
    if "description" in p:
        sub["description"] = p["description"] or None
    if "default_payment_method" in p:
        sub["default_payment_method"] = pm or None
    if "pause_collection" in p:
        sub["pause_collection"] = as_dict(p["pause_collection"], "pause_collection") or None
    for key, value in as_dict(p.get("cancellation_details"), "cancellation_details").items():
        sub["cancellation_details"][key] = value or None
    for c in changes:
        if c.item is None:
            c.item = new_item(s, sub, c.new_price, c.new_qty, c.metadata)  # type: ignore[arg-type]
        elif c.new_price is None:
            sub["items"]["data"].remove(c.item["id"])
            c.item["_deleted"] = True
        else:
            c.item.update(price=s.render(c.new_price), quantity=c.new_qty)
            apply_metadata(c.item, c.metadata)
    sub["items"]["total_count"] = len(sub["items"]["data"])
    if reset or end_trial:
        sub.update(billing_cycle_anchor=s.now, _cycle=1)
        set_period(s, sub, s.now, add_interval(s.now, *interval))
        if end_trial:
            sub.update(trial_end=s.now, status="active")
    elif p.get("trial_end") not in (None, "", "now"):
        trial_end = as_int(p["trial_end"], "trial_end", minimum=s.now + 1)
        sub.update(
            trial_end=trial_end,
            trial_start=sub["trial_start"] or s.now,
            status="trialing",
            billing_cycle_anchor=trial_end,
            _cycle=0,
            _trial_will_end_sent=False,
        )
        set_period(s, sub, period(s, sub)[0], trial_end)
    _cancellation(s, sub, p)
    s.emit_update("customer.subscription.updated", sub, before)

    for spec in specs:
        store_invoice_item(s, sub, spec)
    if immediate:
        lines = invoice_lines.pending_item_lines(s, customer["id"], sub["id"])
        if reset or end_trial:
            span = period(s, sub)
            lines += [
                period_line(s, sub, i["id"], price_of(s, i), i["quantity"], span)
                for i in items_of(s, sub)
            ]
        invoice = invoices.issue(
            s, customer, sub, lines, billing_reason="subscription_update", period=(s.now, s.now)
        )
        if paying != "default_incomplete" or invoice["amount_due"] == 0:
            invoices.attempt(s, invoice)


def _cancellation(s: Store, sub: Obj, p: dict[str, Any]) -> None:
    end = period(s, sub)[1]
    if "cancel_at_period_end" in p:
        if as_bool(p["cancel_at_period_end"], "cancel_at_period_end"):
            sub.update(cancel_at_period_end=True, cancel_at=end, canceled_at=s.now)
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        else:
            sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
            sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    if "cancel_at" in p:
        value = p["cancel_at"]
        if value == "":
            sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None)
            sub["cancellation_details"]["reason"] = None
        else:
            cancel_at = (
                end
                if value in ("min_period_end", "max_period_end")
                else as_int(value, "cancel_at", minimum=s.now)
            )
            sub.update(cancel_at=cancel_at, cancel_at_period_end=False, canceled_at=s.now)
            sub["cancellation_details"]["reason"] = "cancellation_requested"


UPDATE_PARAMS = (
    "items",
    "proration_behavior",
    "proration_date",
    "cancel_at_period_end",
    "cancel_at",
    "metadata",
    "default_payment_method",
    "trial_end",
    "billing_cycle_anchor",
    "payment_behavior",
    "description",
    "collection_method",
    "days_until_due",
    "cancellation_details",
    "pause_collection",
    "off_session",
    "automatic_tax",
    "default_tax_rates",
    "discounts",
    "trial_from_plan",
    "billing_thresholds",
    "add_invoice_items",
    "application_fee_percent",
    "on_behalf_of",
    "payment_settings",
    "pending_invoice_item_interval",
    "transfer_data",
    "trial_settings",
    "invoice_settings",
    "default_source",
)


@route("POST", "/v1/subscriptions/{id}", *UPDATE_PARAMS)
def subscription_update(s: Store, req: Req) -> Obj:
    sub = s.get(req.args["id"], "subscription")
    update(s, sub, req.params)
    return s.render(sub)


@route(
    "POST",
    "/v1/subscription_items/{id}",
    "price",
    "quantity",
    "proration_behavior",
    "proration_date",
    "payment_behavior",
    "metadata",
    "off_session",
    "discounts",
    "tax_rates",
    "billing_thresholds",
    "price_data",
)
def subscription_item_update(s: Store, req: Req) -> Obj:
    item = s.get(req.args["id"], "subscription_item")
    p = req.params
    spec = {"id": item["id"], **{k: p[k] for k in ("price", "quantity", "metadata") if k in p}}
    rest = {
        k: v
        for k, v in p.items()
        if k in ("proration_behavior", "proration_date", "payment_behavior")
    }
    update(s, s.objects[item["subscription"]], {"items": [spec], **rest})
    return s.render(item)
