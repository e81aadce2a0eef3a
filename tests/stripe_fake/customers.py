"""The account, customers and payment methods (and the empty charges list)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from tests.stripe_fake.errors import invalid, no_such
from tests.stripe_fake.forms import (
    apply_metadata,
    as_choice,
    as_dict,
    as_int,
    as_list,
    required,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import ACCOUNT_ID, Obj, Store, new_id


def account(s: Store) -> Obj:
    return {
        "id": ACCOUNT_ID,
        "object": "account",
        "business_profile": {"name": "Fake Stripe", "support_email": None, "url": None},
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "country": "BG",
        "created": 1_700_000_000,
        "default_currency": "eur",
        "details_submitted": True,
        "email": "billing@fake-stripe.test",
        "payouts_enabled": True,
        "settings": {
            "branding": {"icon": None, "logo": None, "primary_color": None},
            "dashboard": {"display_name": "Fake Stripe", "timezone": "Europe/Sofia"},
        },
        "type": "standard",
    }


@route("GET", "/v1/account")
def account_retrieve(s: Store, req: Req) -> Obj:
    return account(s)


@route("GET", "/v1/accounts/{id}")
def account_retrieve_by_id(s: Store, req: Req) -> Obj:
    if req.args["id"] != ACCOUNT_ID:
        raise no_such("account", req.args["id"])
    return account(s)


# --- customers --------------------------------------------------------------------------

CUSTOMER_FIELDS = ("email", "name", "description", "phone", "address", "shipping")
CUSTOMER_PARAMS = (
    *CUSTOMER_FIELDS,
    "metadata",
    "invoice_settings",
    "payment_method",
    "preferred_locales",
    "tax_exempt",
    "tax_id_data",
    "test_clock",
    "balance",
    "invoice_prefix",
    "next_invoice_sequence",
    "tax",
    "source",
    "cash_balance",
    "validate",
    "individual_name",
    "business_name",
)


def _customer_fields(s: Store, customer: Obj, p: dict[str, Any]) -> None:
    for name in CUSTOMER_FIELDS:
        if name in p:
            customer[name] = p[name] or None
    if "preferred_locales" in p:
        customer["preferred_locales"] = as_list(p["preferred_locales"], "preferred_locales")
    if "tax_exempt" in p:
        customer["tax_exempt"] = as_choice(
            p["tax_exempt"], "tax_exempt", ("none", "exempt", "reverse")
        )
    if "balance" in p:
        customer["balance"] = as_int(p["balance"], "balance")
    apply_metadata(customer, p.get("metadata"))
    settings = as_dict(p.get("invoice_settings"), "invoice_settings")
    if "default_payment_method" in settings:
        pm_id = settings["default_payment_method"] or None
        if pm_id:
            pm = s.get(pm_id, "payment_method", param="invoice_settings[default_payment_method]")
            if pm["customer"] != customer["id"]:
                raise invalid(
                    "The customer does not have a payment method with the ID "
                    f"{pm_id}. The payment method must be attached to the customer.",
                    "invoice_settings[default_payment_method]",
                )
        customer["invoice_settings"]["default_payment_method"] = pm_id


def new_customer(s: Store, p: dict[str, Any]) -> Obj:
    customer = s.add(
        {
            "id": new_id("cus", 14),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": s.now,
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": None,
            "discount": None,
            "email": None,
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": None,
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": {},
            "name": None,
            "next_invoice_sequence": 1,
            "phone": None,
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
    )
    if p.get("payment_method"):
        attach(s, s.get(p["payment_method"], "payment_method", param="payment_method"), customer)
    _customer_fields(s, customer, p)
    s.emit("customer.created", customer)
    return customer


@route("POST", "/v1/customers", *CUSTOMER_PARAMS)
def customer_create(s: Store, req: Req) -> Obj:
    return s.render(new_customer(s, req.params))


_CLAUSE = re.compile(r"""(\w+)(?:\[['"](.+?)['"]\])?\s*([:~])\s*['"](.*?)['"]""")


@route("GET", "/v1/customers/search", "query", "limit", "page")
def customer_search(s: Store, req: Req) -> Obj:
    """The Search API for `email:'x'`, `name~'part'`, `metadata['key']:'value'` joined by AND
    or OR (one of them), as Stripe's search query language writes them."""
    query = str(required(req.params, "query"))
    joiner = " OR " if " OR " in query else " AND "
    clauses = []
    for text in query.split(joiner):
        found = _CLAUSE.fullmatch(text.strip())
        if not found:
            raise invalid(f"Invalid search query: {query}", "query")
        clauses.append(found.groups())

    def matches(c: Obj, field: str, key: str | None, op: str, value: str) -> bool:
        actual = (c.get("metadata") or {}).get(key) if field == "metadata" else c.get(field)
        if actual is None:
            return False
        return str(actual) == value if op == ":" else value.lower() in str(actual).lower()

    test = any if joiner == " OR " else all
    hits = s.find("customer", lambda c: test(matches(c, *clause) for clause in clauses))
    page = s.page(hits, {"limit": req.params.get("limit", 10)}, "/v1/customers/search")
    return {**page, "object": "search_result", "next_page": None}


@route("GET", "/v1/customers/{id}")
def customer_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "customer"))


@route("POST", "/v1/customers/{id}", *CUSTOMER_PARAMS, "default_source", "coupon", "promotion_code")
def customer_update(s: Store, req: Req) -> Obj:
    customer = s.get(req.args["id"], "customer")
    if customer.get("_deleted"):
        raise invalid("You cannot update a deleted customer.", "id")
    before = s.render(customer)
    _customer_fields(s, customer, req.params)
    s.emit_update("customer.updated", customer, before)
    return s.render(customer)


@route("GET", "/v1/customers", "email", "created", "test_clock", is_list=True)
def customer_list(s: Store, req: Req) -> Obj:
    email = req.params.get("email")
    created = s.created_filter(req.params)
    found = s.find("customer", lambda c: (not email or c["email"] == email) and created(c))
    return s.page(found, req.params, "/v1/customers")


@route("DELETE", "/v1/customers/{id}")
def customer_delete(s: Store, req: Req) -> Obj:
    from tests.stripe_fake.subscriptions import cancel_now

    customer = s.get(req.args["id"], "customer")
    if customer.get("_deleted"):
        raise no_such("customer", customer["id"])
    for sub in s.find("subscription", lambda x: x["customer"] == customer["id"]):
        if sub["status"] not in ("canceled", "incomplete_expired"):
            cancel_now(s, sub, reason="cancellation_requested")
    s.emit("customer.deleted", customer)
    customer["_deleted"] = True
    return s.render(customer)


# --- payment methods --------------------------------------------------------------------

CARDS = {"visa": "4242", "mastercard": "4444", "amex": "8431"}


def new_payment_method(s: Store, *, brand: str = "visa", last4: str | None = None) -> Obj:
    return s.add(
        {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {
                "address": None,
                "email": None,
                "name": None,
                "phone": None,
                "tax_id": None,
            },
            "card": {
                "brand": brand,
                "checks": {"cvc_check": "pass"},
                "country": "US",
                "display_brand": brand,
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": secrets.token_hex(8),
                "funding": "credit",
                "last4": last4 or CARDS.get(brand, "4242"),
                "networks": {"available": [brand], "preferred": None},
                "wallet": None,
            },
            "created": s.now,
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
    )


def attach(s: Store, pm: Obj, customer: Obj) -> None:
    if pm["customer"] not in (None, customer["id"]):
        raise invalid(
            "The payment method you provided has already been attached to a customer.",
            "payment_method",
        )
    if pm["customer"] is None:
        pm["customer"] = customer["id"]
        s.emit("payment_method.attached", pm)


@route(
    "POST",
    "/v1/payment_methods",
    "type",
    "card",
    "billing_details",
    "metadata",
    "customer",
    "payment_method",
    "allow_redisplay",
)
def payment_method_create(s: Store, req: Req) -> Obj:
    as_choice(required(req.params, "type"), "type", ("card",))
    card = as_dict(req.params.get("card"), "card")
    brand = {"tok_mastercard": "mastercard", "tok_amex": "amex"}.get(card.get("token", ""), "visa")
    pm = new_payment_method(s, brand=brand)
    apply_metadata(pm, req.params.get("metadata"))
    return s.render(pm)


@route("GET", "/v1/payment_methods/{id}")
def payment_method_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "payment_method"))


@route("POST", "/v1/payment_methods/{id}/attach", "customer")
def payment_method_attach(s: Store, req: Req) -> Obj:
    pm = s.get(req.args["id"], "payment_method")
    attach(s, pm, s.get(required(req.params, "customer"), "customer", param="customer"))
    return s.render(pm)


@route("POST", "/v1/payment_methods/{id}/detach")
def payment_method_detach(s: Store, req: Req) -> Obj:
    pm = s.get(req.args["id"], "payment_method")
    if pm["customer"] is None:
        raise invalid(
            "The payment method you provided is not attached to a customer.", "payment_method"
        )
    customer = s.objects[pm["customer"]]
    if customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        customer["invoice_settings"]["default_payment_method"] = None
    pm["customer"] = None
    s.emit("payment_method.detached", pm)
    return s.render(pm)


@route("GET", "/v1/payment_methods", "customer", "type", is_list=True)
def payment_method_list(s: Store, req: Req) -> Obj:
    customer = req.params.get("customer")
    found = s.find("payment_method", lambda o: not customer or o["customer"] == customer)
    return s.page(found, req.params, "/v1/payment_methods")


@route("GET", "/v1/customers/{id}/payment_methods", "type", "allow_redisplay", is_list=True)
def customer_payment_methods(s: Store, req: Req) -> Obj:
    customer = s.get(req.args["id"], "customer")
    found = s.find("payment_method", lambda o: o["customer"] == customer["id"])
    return s.page(found, req.params, f"/v1/customers/{customer['id']}/payment_methods")


@route("GET", "/v1/charges", "customer", "payment_intent", "created", is_list=True)
def charge_list(s: Store, req: Req) -> Obj:
    """Charges are not modelled (invoices are paid directly): always an empty list."""
    return s.page([], req.params, "/v1/charges")
