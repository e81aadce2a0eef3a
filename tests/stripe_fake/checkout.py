"""Checkout Sessions: create (subscription or payment mode), retrieve, list, line items, expire,
and `complete()`: what happens when the customer pays on the hosted page."""

from __future__ import annotations

from typing import Any

from tests.stripe_fake import customers, periods, subscriptions
from tests.stripe_fake.errors import invalid
from tests.stripe_fake.forms import (
    apply_metadata,
    as_choice,
    as_dict,
    as_int,
    as_list,
    check_known,
    required,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store, new_id

SESSION_PARAMS = (
    "mode",
    "line_items",
    "customer",
    "customer_email",
    "success_url",
    "cancel_url",
    "client_reference_id",
    "metadata",
    "subscription_data",
    "allow_promotion_codes",
    "payment_method_types",
    "billing_address_collection",
    "locale",
    "automatic_tax",
    "tax_id_collection",
    "customer_update",
    "payment_method_collection",
    "expires_at",
    "ui_mode",
    "return_url",
    "consent_collection",
    "currency",
    "custom_text",
    "discounts",
    "saved_payment_method_options",
    "phone_number_collection",
    "customer_creation",
    "invoice_creation",
    "submit_type",
    "redirect_on_completion",
    "payment_method_configuration",
    "custom_fields",
    "after_expiration",
    "name_collection",
    "optional_items",
    "origin_context",
    "permissions",
    "adaptive_pricing",
    "branding_settings",
    "wallet_options",
    "payment_method_options",
    "setup_intent_data",
    "payment_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "customer_account",
)
SUBSCRIPTION_DATA = frozenset(
    {
        "trial_period_days",
        "trial_end",
        "metadata",
        "description",
        "default_tax_rates",
        "billing_cycle_anchor",
        "proration_behavior",
        "trial_settings",
        "application_fee_percent",
        "on_behalf_of",
        "transfer_data",
        "invoice_settings",
        "billing_mode",
    }
)


def _line_items(s: Store, session: Obj) -> Obj:
    url = f"/v1/checkout/sessions/{session['id']}/line_items"
    return {
        "object": "list",
        "data": s.objects[session["id"]]["_line_items"],
        "has_more": False,
        "url": url,
    }


Store.includes[("checkout.session", "line_items")] = _line_items


@route("POST", "/v1/checkout/sessions", *SESSION_PARAMS)
def session_create(s: Store, req: Req) -> Obj:
    p = req.params
    mode = as_choice(required(p, "mode"), "mode", ("payment", "setup", "subscription"))
    ui_mode = as_choice(p.get("ui_mode") or "hosted", "ui_mode", ("hosted", "embedded", "custom"))
    if ui_mode == "hosted":
        required(p, "success_url")
    if p.get("customer") and p.get("customer_email"):
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            "customer_email",
        )
    customer = s.get(p["customer"], "customer", param="customer") if p.get("customer") else None
    lines = []
    specs = as_list(
        required(p, "line_items") if mode != "setup" else p.get("line_items"), "line_items"
    )
    for i, spec in enumerate(specs):
        spec = as_dict(spec, f"line_items[{i}]")
        check_known(
            spec,
            frozenset(
                {
                    "price",
                    "quantity",
                    "adjustable_quantity",
                    "dynamic_tax_rates",
                    "tax_rates",
                    "price_data",
                }
            ),
        )
        price = s.get(
            required(spec, "price", param=f"line_items[{i}][price]"),
            "price",
            param=f"line_items[{i}][price]",
        )
        quantity = as_int(
            required(spec, "quantity", param=f"line_items[{i}][quantity]"),
            f"line_items[{i}][quantity]",
            minimum=1,
        )
        lines.append((price, quantity))
    recurring = [(price, "line_items") for price, _ in lines if price["recurring"]]
    if mode == "subscription":
        if not recurring:
            raise invalid(
                "You must provide at least one recurring price in `subscription` mode when "
                "using prices.",
                "line_items",
            )
        periods.check_intervals(recurring)
    elif recurring:
        raise invalid(
            f"You specified `{mode}` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            "line_items",
        )
    sub_data = as_dict(p.get("subscription_data"), "subscription_data")
    if sub_data and mode != "subscription":
        raise invalid(
            "You can only specify `subscription_data` in `subscription` mode.", "subscription_data"
        )
    check_known(sub_data, SUBSCRIPTION_DATA)
    if sub_data.get("trial_period_days") not in (None, ""):
        as_int(sub_data["trial_period_days"], "subscription_data[trial_period_days]", minimum=1)
    trial = bool(sub_data.get("trial_period_days") or sub_data.get("trial_end"))
    subtotal = sum(price["unit_amount"] * qty for price, qty in lines)
    currency = lines[0][0]["currency"] if lines else p.get("currency")
    session_id = new_id("cs_test", 58)
    session = s.add(
        {
            "id": session_id,
            "object": "checkout.session",
            "adaptive_pricing": None,
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": subtotal,
            "amount_total": 0 if trial else subtotal,
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_address_collection": p.get("billing_address_collection"),
            "cancel_url": p.get("cancel_url"),
            "client_reference_id": p.get("client_reference_id") or None,
            "client_secret": None,
            "consent": None,
            "consent_collection": None,
            "created": s.now,
            "currency": currency,
            "custom_fields": [],
            "custom_text": {
                "after_submit": None,
                "shipping_address": None,
                "submit": None,
                "terms_of_service_acceptance": None,
            },
            "customer": customer["id"] if customer else None,
            "customer_creation": None if customer else "always",
            "customer_details": None,
            "customer_email": p.get("customer_email") or None,
            "expires_at": as_int(p.get("expires_at", s.now + 86400), "expires_at"),
            "invoice": None,
            "invoice_creation": None,
            "livemode": False,
            "locale": p.get("locale"),
            "metadata": {},
            "mode": mode,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": p.get("payment_method_collection", "always"),
            "payment_method_types": as_list(p.get("payment_method_types"), "payment_method_types")
            or ["card"],
            "payment_status": "unpaid",
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": None,
            "subscription": None,
            "success_url": p.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": ui_mode,
            "url": f"{s.base_url}/checkout/{session_id}" if ui_mode == "hosted" else None,
            "_subscription_data": sub_data,
            "_line_items": [
                {
                    "id": new_id("li"),
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": price["unit_amount"] * qty,
                    "amount_tax": 0,
                    "amount_total": price["unit_amount"] * qty,
                    "currency": price["currency"],
                    "description": s.objects[price["product"]]["name"],
                    "price": s.render(price),
                    "quantity": qty,
                }
                for price, qty in lines
            ],
        }
    )
    apply_metadata(session, p.get("metadata"))
    return s.render(session)


def complete(
    s: Store,
    session: Obj,
    *,
    email: str | None = None,
    name: str | None = None,
    brand: str = "visa",
) -> Obj:
    """The customer paid on the hosted page: customer (if new), card, subscription, paid first
    invoice; the card entered here pays, whatever outcomes are queued for later charges."""
    if session["status"] != "open":
        raise RuntimeError(f"checkout session {session['id']} is {session['status']}, not open")
    if session["customer"]:
        customer = s.objects[session["customer"]]
    else:
        address = (
            session["customer_email"]
            or email
            or f"customer-{new_id('x', 6)[2:].lower()}@example.test"
        )
        customer = customers.new_customer(s, {"email": address, "name": name or ""})
    pm = customers.new_payment_method(s, brand=brand)
    customers.attach(s, pm, customer)
    session["customer"] = customer["id"]
    paid = False
    if session["mode"] == "subscription":
        data = session["_subscription_data"]
        params: dict[str, Any] = {
            "items": [
                {"price": li["price"]["id"], "quantity": li["quantity"]}
                for li in session["_line_items"]
                if li["price"]["recurring"]
            ],
            "default_payment_method": pm["id"],
            **{
                k: data[k]
                for k in ("metadata", "description", "trial_period_days", "trial_end")
                if data.get(k)
            },
        }
        saved = s.outcomes.pop(customer["id"], None), s.failing.pop(customer["id"], None)
        try:
            sub = subscriptions.create(s, customer, params)
        finally:
            if saved[0] is not None:
                s.outcomes[customer["id"]] = saved[0]
            if saved[1] is not None:
                s.failing[customer["id"]] = saved[1]
        invoice = s.objects[sub["latest_invoice"]]
        session.update(subscription=sub["id"], invoice=invoice["id"])
        paid = invoice["amount_paid"] > 0
    else:
        paid = session["amount_total"] > 0
    session.update(
        status="complete",
        payment_status="paid" if paid else "no_payment_required",
        url=None,
        customer_details={
            "address": customer["address"],
            "email": customer["email"],
            "name": customer["name"],
            "phone": customer["phone"],
            "tax_exempt": customer["tax_exempt"],
            "tax_ids": [],
        },
    )
    s.emit("checkout.session.completed", session)
    return session


@route("GET", "/v1/checkout/sessions/{id}")
def session_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "checkout.session"))


@route("GET", "/v1/checkout/sessions/{id}/line_items", is_list=True)
def session_line_items(s: Store, req: Req) -> Obj:
    session = s.get(req.args["id"], "checkout.session")
    items = session["_line_items"]
    return s.page(items, req.params, f"/v1/checkout/sessions/{session['id']}/line_items")


@route(
    "GET",
    "/v1/checkout/sessions",
    "customer",
    "subscription",
    "status",
    "payment_intent",
    "payment_link",
    "created",
    "customer_details",
    is_list=True,
)
def session_list(s: Store, req: Req) -> Obj:
    p = req.params
    created = s.created_filter(p)

    def wanted(o: Obj) -> bool:
        return all(
            not p.get(k) or o[k] == p[k] for k in ("customer", "subscription", "status")
        ) and created(o)

    return s.page(s.find("checkout.session", wanted), p, "/v1/checkout/sessions")


@route("POST", "/v1/checkout/sessions/{id}/expire")
def session_expire(s: Store, req: Req) -> Obj:
    session = s.get(req.args["id"], "checkout.session")
    if session["status"] != "open":
        raise invalid(
            "Only Checkout Sessions with a status of `open` can be expired; this one is "
            f"`{session['status']}`.",
            "session",
        )
    session.update(status="expired", url=None)
    s.emit("checkout.session.expired", session)
    return s.render(session)
