"""Subscriptions and their items: create, retrieve, list, cancel, and renewal at period end.

Current API shape: `current_period_start/end` live on the subscription ITEMS (there is no
top-level period unless `Store.legacy_periods` is set). Updates (plan change, prorations,
cancel at period end) are in `changes.py`.
"""

from __future__ import annotations

from typing import Any

from tests.stripe_fake import invoice_lines, invoices
from tests.stripe_fake.errors import card_declined, invalid, no_such
from tests.stripe_fake.forms import (
    apply_metadata,
    as_bool,
    as_choice,
    as_dict,
    as_int,
    as_list,
    check_known,
    required,
)
from tests.stripe_fake.periods import (
    DAY,
    ITEM_KEYS,
    PAYMENT_BEHAVIORS,
    add_interval,
    check_intervals,
    items_of,
    new_item,
    next_period_end,
    period,
    set_period,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store, new_id


def create(s: Store, customer: Obj, p: dict[str, Any]) -> Obj:
    """POST /v1/subscriptions (and checkout completion): first invoice charged at once."""
    specs = []
    for i, spec in enumerate(as_list(required(p, "items"), "items")):
        spec = as_dict(spec, f"items[{i}]")
        check_known(spec, ITEM_KEYS)
        price = s.get(
            required(spec, "price", param=f"items[{i}][price]"), "price", param=f"items[{i}][price]"
        )
        quantity = as_int(spec.get("quantity", 1), f"items[{i}][quantity]", minimum=1)
        specs.append((price, quantity, spec.get("metadata"), f"items[{i}][price]"))
    interval, count = check_intervals([(price, param) for price, _, _, param in specs])
    trial_end = None
    if p.get("trial_end") not in (None, "", "now"):
        trial_end = as_int(p["trial_end"], "trial_end", minimum=s.now + 1)
    elif p.get("trial_period_days") not in (None, ""):
        days = as_int(p["trial_period_days"], "trial_period_days", minimum=0)
        trial_end = s.now + days * DAY if days else None
    pm = p.get("default_payment_method") or None
    if (
        pm
        and s.get(pm, "payment_method", param="default_payment_method")["customer"]
        != customer["id"]
    ):
        raise invalid(
            "The payment method must be attached to the customer.", "default_payment_method"
        )
    behavior = as_choice(
        p.get("payment_behavior", "allow_incomplete"), "payment_behavior", PAYMENT_BEHAVIORS
    )
    if behavior == "error_if_incomplete" and not trial_end:
        outcome, code = invoices.peek_outcome(
            s, customer["id"], pm or customer["invoice_settings"]["default_payment_method"]
        )
        if outcome != "succeed":
            invoices.consume_outcome(s, customer["id"])
            raise card_declined(code)
    anchor = trial_end or s.now
    sub = s.add(
        {
            "id": new_id("sub"),
            "object": "subscription",
            "application": None,
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": anchor,
            "billing_cycle_anchor_config": None,
            "billing_mode": {"flexible": None, "type": "classic"},
            "billing_thresholds": None,
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "collection_method": "charge_automatically",
            "created": s.now,
            "currency": specs[0][0]["currency"],
            "customer": customer["id"],
            "days_until_due": None,
            "default_payment_method": pm,
            "default_source": None,
            "default_tax_rates": [],
            "description": p.get("description") or None,
            "discounts": [],
            "ended_at": None,
            "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
            "items": {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": ""},
            "latest_invoice": None,
            "livemode": False,
            "metadata": {},
            "next_pending_invoice_item_invoice": None,
            "on_behalf_of": None,
            "pause_collection": None,
            "payment_settings": {
                "payment_method_options": None,
                "payment_method_types": None,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": None,
            "pending_setup_intent": None,
            "pending_update": None,
            "schedule": None,
            "start_date": s.now,
            "status": "trialing" if trial_end else "incomplete",
            "test_clock": None,
            "transfer_data": None,
            "trial_end": trial_end,
            "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
            "trial_start": s.now if trial_end else None,
            "_cycle": 0 if trial_end else 1,
            "_trial_will_end_sent": False,
        }
    )
    sub["items"]["url"] = f"/v1/subscription_items?subscription={sub['id']}"
    apply_metadata(sub, p.get("metadata"))
    for price, quantity, metadata, _ in specs:
        new_item(s, sub, price, quantity, metadata)
    end = trial_end or add_interval(anchor, interval, count)
    set_period(s, sub, s.now, end)
    if p.get("cancel_at_period_end") and as_bool(p["cancel_at_period_end"], "cancel_at_period_end"):
        sub.update(cancel_at_period_end=True, cancel_at=end, canceled_at=s.now)
    customer["currency"] = customer["currency"] or sub["currency"]
    s.emit("customer.subscription.created", sub)
    lines = [
        invoice_lines.item_line(s, i, sub, (s.now, end), trial=bool(trial_end))
        for i in items_of(s, sub)
    ]
    invoice = invoices.issue(
        s, customer, sub, lines, billing_reason="subscription_create", period=(s.now, s.now)
    )
    if behavior != "default_incomplete" or invoice["amount_due"] == 0:
        invoices.attempt(s, invoice)
    return sub


def cancel_now(s: Store, sub: Obj, *, reason: str = "cancellation_requested") -> None:
    sub["status"] = "canceled"
    sub["canceled_at"] = sub["canceled_at"] or s.now
    sub["ended_at"] = s.now
    sub["cancellation_details"]["reason"] = sub["cancellation_details"]["reason"] or reason
    for invoice in s.find("invoice", lambda o: o["subscription"] == sub["id"]):
        invoice["next_payment_attempt"] = None
    s.emit("customer.subscription.deleted", sub)


def renew(s: Store, sub: Obj) -> None:
    """The current period (or trial) has ended: cancel if asked to, else start the next one
    and invoice it (`customer.subscription.updated`, then the invoice's events)."""
    start, end = period(s, sub)
    if sub["cancel_at"] is not None and sub["cancel_at"] <= end:
        cancel_now(s, sub)
        return
    before = s.render(sub)
    was_trial = sub["status"] == "trialing"
    new_end = next_period_end(s, sub)
    sub["_cycle"] += 1
    set_period(s, sub, end, new_end)
    if was_trial:
        sub["status"] = "active"
    s.emit_update("customer.subscription.updated", sub, before)
    customer = s.objects[sub["customer"]]
    lines = invoice_lines.pending_item_lines(s, customer["id"], sub["id"])
    lines += [invoice_lines.item_line(s, i, sub, (end, new_end)) for i in items_of(s, sub)]
    invoice = invoices.issue(
        s, customer, sub, lines, billing_reason="subscription_cycle", period=(start, end)
    )
    if sub["status"] != "unpaid":
        invoices.attempt(s, invoice)


def _customer_subscriptions(s: Store, customer: Obj) -> Obj:
    found = s.find(
        "subscription", lambda o: o["customer"] == customer["id"] and o["status"] != "canceled"
    )
    return s.page(found, {"limit": 100}, f"/v1/customers/{customer['id']}/subscriptions")


Store.includes[("customer", "subscriptions")] = _customer_subscriptions


# --- routes -----------------------------------------------------------------------------

CREATE_PARAMS = (
    "customer",
    "items",
    "trial_period_days",
    "trial_end",
    "default_payment_method",
    "metadata",
    "description",
    "payment_behavior",
    "cancel_at_period_end",
    "cancel_at",
    "collection_method",
    "days_until_due",
    "proration_behavior",
    "off_session",
    "automatic_tax",
    "default_tax_rates",
    "discounts",
    "trial_from_plan",
    "trial_settings",
    "payment_settings",
    "billing_cycle_anchor",
    "backdate_start_date",
    "add_invoice_items",
    "currency",
    "invoice_settings",
    "on_behalf_of",
    "pending_invoice_item_interval",
    "transfer_data",
    "application_fee_percent",
    "billing_thresholds",
    "billing_mode",
    "billing_cycle_anchor_config",
    "default_source",
)


@route("POST", "/v1/subscriptions", *CREATE_PARAMS)
def subscription_create(s: Store, req: Req) -> Obj:
    customer = s.get(required(req.params, "customer"), "customer", param="customer")
    return s.render(create(s, customer, req.params))


@route("GET", "/v1/subscriptions/{id}")
def subscription_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "subscription"))


STATUSES = (
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "trialing",
    "paused",
    "all",
    "ended",
)


@route(
    "GET",
    "/v1/subscriptions",
    "customer",
    "price",
    "status",
    "created",
    "collection_method",
    "test_clock",
    "automatic_tax",
    "current_period_end",
    "current_period_start",
    is_list=True,
)
def subscription_list(s: Store, req: Req) -> Obj:
    p = req.params
    status = as_choice(p["status"], "status", STATUSES) if p.get("status") else None
    created = s.created_filter(p)

    def status_ok(o: Obj) -> bool:
        if status is None:
            return o["status"] not in ("canceled", "incomplete_expired")
        if status == "ended":
            return o["status"] in ("canceled", "incomplete_expired")
        return status == "all" or o["status"] == status

    def wanted(o: Obj) -> bool:
        prices = {s.objects[i]["price"]["id"] for i in o["items"]["data"]}
        return (
            status_ok(o)
            and (not p.get("customer") or o["customer"] == p["customer"])
            and (not p.get("price") or p["price"] in prices)
            and created(o)
        )

    return s.page(s.find("subscription", wanted), p, "/v1/subscriptions")


@route("DELETE", "/v1/subscriptions/{id}", "invoice_now", "prorate", "cancellation_details")
def subscription_cancel(s: Store, req: Req) -> Obj:
    sub = s.get(req.args["id"], "subscription")
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise no_such("subscription", sub["id"])
    details = as_dict(req.params.get("cancellation_details"), "cancellation_details")
    for key in ("comment", "feedback"):
        if key in details:
            sub["cancellation_details"][key] = details[key] or None
    if sub["status"] == "incomplete":
        for invoice in s.find(
            "invoice", lambda o: o["subscription"] == sub["id"] and o["status"] == "open"
        ):
            invoice.update(status="void", amount_remaining=0)
            invoice["status_transitions"]["voided_at"] = s.now
            s.emit("invoice.voided", invoice)
    cancel_now(s, sub)
    return s.render(sub)


@route("GET", "/v1/subscription_items", "subscription", is_list=True)
def subscription_item_list(s: Store, req: Req) -> Obj:
    sub = s.get(required(req.params, "subscription"), "subscription", param="subscription")
    return s.page(items_of(s, sub), req.params, "/v1/subscription_items")


@route("GET", "/v1/subscription_items/{id}")
def subscription_item_retrieve(s: Store, req: Req) -> Obj:
    item = s.get(req.args["id"], "subscription_item")
    if item.get("_deleted"):
        raise no_such("subscription item", item["id"])
    return s.render(item)
