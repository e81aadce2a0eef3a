"""`POST /v1/invoices/create_preview`: the next invoice, or what a change would invoice."""

from __future__ import annotations

from typing import Any

from tests.stripe_fake import invoice_lines, invoices
from tests.stripe_fake.errors import invalid, missing_param
from tests.stripe_fake.forms import as_bool, as_choice, as_dict, as_int, as_list, required
from tests.stripe_fake.periods import (
    add_interval,
    check_intervals,
    items_of,
    next_period_end,
    period,
    recurring,
)
from tests.stripe_fake.prorations import (
    PRORATION_BEHAVIORS,
    period_line,
    plan_items,
    price_of,
    prorations,
    resulting,
    spec_line,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store


@route(
    "POST",
    "/v1/invoices/create_preview",
    "customer",
    "subscription",
    "subscription_details",
    "automatic_tax",
    "currency",
    "customer_details",
    "discounts",
    "invoice_items",
    "issuer",
    "on_behalf_of",
    "preview_mode",
    "schedule",
    "schedule_details",
    "customer_account",
)
def invoice_preview(s: Store, req: Req) -> Obj:
    p = req.params
    sub = (
        s.get(p["subscription"], "subscription", param="subscription")
        if p.get("subscription")
        else None
    )
    if sub is None and not p.get("customer"):
        raise missing_param("customer")
    customer = s.get(p.get("customer") or sub["customer"], "customer", param="customer")  # type: ignore[index]
    details = as_dict(p.get("subscription_details"), "subscription_details")
    none_due = invalid(
        f"No upcoming invoices for customer: {customer['id']}", code="invoice_upcoming_none"
    )
    if sub is None:
        if not details.get("items"):
            raise none_due
        return _preview_new(s, customer, details)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise none_due
    behavior = as_choice(
        details.get("proration_behavior") or "create_prorations",
        "subscription_details[proration_behavior]",
        PRORATION_BEHAVIORS,
    )
    at = (
        as_int(details["proration_date"], "subscription_details[proration_date]")
        if details.get("proration_date")
        else s.now
    )
    current = recurring(price_of(s, items_of(s, sub)[0]), "items")
    changes, interval = (
        plan_items(s, sub, details["items"], "subscription_details[items]")
        if details.get("items")
        else ([], current)
    )
    trialing = sub["status"] == "trialing"
    reset = interval != current and not trialing
    specs = [] if trialing or behavior == "none" else prorations(s, sub, changes, at, reset=reset)
    lines = [spec_line(s, sub, spec) for spec in specs]
    if reset:
        span = (s.now, add_interval(s.now, *interval))
        lines += [
            period_line(s, sub, i, price, q, span) for i, price, q in resulting(s, sub, changes)
        ]
        reason, when = "subscription_update", (s.now, s.now)
    elif behavior == "always_invoice" and specs:
        reason, when = "subscription_update", (s.now, s.now)
    else:
        start, end = period(s, sub)
        cancels = sub["cancel_at"] is not None and sub["cancel_at"] <= end
        if "cancel_at_period_end" in details:
            flag = details["cancel_at_period_end"]
            cancels = as_bool(flag, "subscription_details[cancel_at_period_end]")
        if cancels:
            raise none_due
        span = (end, next_period_end(s, sub))
        lines = invoice_lines.pending_item_lines(s, customer["id"], sub["id"]) + lines
        lines += [
            period_line(s, sub, i, price, q, span) for i, price, q in resulting(s, sub, changes)
        ]
        reason, when = "subscription_cycle", (start, end)
    preview = invoices.build(
        s, customer, sub, lines, billing_reason=reason, period=when, preview=True
    )
    if reason == "subscription_cycle":
        preview["next_payment_attempt"] = when[1]
    if specs:
        preview["subscription_proration_date"] = at
    return preview


def _preview_new(s: Store, customer: Obj, details: dict[str, Any]) -> Obj:
    prices = []
    for i, spec in enumerate(as_list(details["items"], "subscription_details[items]")):
        param = f"subscription_details[items][{i}][price]"
        spec = as_dict(spec, param)
        prices.append(
            (
                s.get(required(spec, "price", param=param), "price", param=param),
                as_int(spec.get("quantity", 1), param),
            )
        )
    interval = check_intervals([(price, "subscription_details[items]") for price, _ in prices])
    span = (s.now, add_interval(s.now, *interval))
    fake_sub: Obj = {"id": None, "metadata": {}}
    lines = [period_line(s, fake_sub, None, price, qty, span) for price, qty in prices]
    return invoices.build(
        s,
        customer,
        None,
        lines,
        billing_reason="subscription_create",
        period=(s.now, s.now),
        preview=True,
    )
