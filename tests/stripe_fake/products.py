"""Products and prices (recurring month/year or one-time)."""

from __future__ import annotations

from typing import Any

from tests.stripe_fake.errors import invalid
from tests.stripe_fake.forms import (
    apply_metadata,
    as_bool,
    as_choice,
    as_dict,
    as_int,
    as_list,
    required,
)
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store, new_id

CURRENCIES = ("eur", "usd", "bgn", "gbp", "chf", "pln", "ron", "czk", "sek", "dkk", "huf")


PRODUCT_PARAMS = (
    "name",
    "active",
    "description",
    "metadata",
    "id",
    "images",
    "marketing_features",
    "statement_descriptor",
    "tax_code",
    "unit_label",
    "url",
    "default_price_data",
    "shippable",
    "package_dimensions",
)


def new_product(s: Store, p: dict[str, Any]) -> Obj:
    product_id = p.get("id") or new_id("prod", 14)
    if product_id in s.objects:
        raise invalid("Product already exists.", "id", code="resource_already_exists")
    product = s.add(
        {
            "id": product_id,
            "object": "product",
            "active": True,
            "created": s.now,
            "default_price": None,
            "description": None,
            "images": [],
            "livemode": False,
            "marketing_features": [],
            "metadata": {},
            "name": required(p, "name"),
            "package_dimensions": None,
            "shippable": None,
            "statement_descriptor": None,
            "tax_code": None,
            "type": "service",
            "unit_label": None,
            "updated": s.now,
            "url": None,
        }
    )
    _product_fields(product, p)
    s.emit("product.created", product)
    if p.get("default_price_data"):
        data = as_dict(p["default_price_data"], "default_price_data")
        product["default_price"] = new_price(s, {**data, "product": product["id"]})["id"]
    return product


def _product_fields(product: Obj, p: dict[str, Any]) -> None:
    for name in ("name", "description", "statement_descriptor", "unit_label", "url", "tax_code"):
        if name in p:
            product[name] = p[name] or None
    if "active" in p:
        product["active"] = as_bool(p["active"], "active")
    if "images" in p:
        product["images"] = as_list(p["images"], "images")
    if "marketing_features" in p:
        product["marketing_features"] = as_list(p["marketing_features"], "marketing_features")
    apply_metadata(product, p.get("metadata"))


@route("POST", "/v1/products", *PRODUCT_PARAMS)
def product_create(s: Store, req: Req) -> Obj:
    return s.render(new_product(s, req.params))


@route("GET", "/v1/products/{id}")
def product_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "product"))


@route("GET", "/v1/products/{id}/features", is_list=True)
def product_features(s: Store, req: Req) -> Obj:
    s.get(req.args["id"], "product")
    return s.page([], req.params, f"/v1/products/{req.args['id']}/features")


@route("POST", "/v1/products/{id}", *PRODUCT_PARAMS, "default_price")
def product_update(s: Store, req: Req) -> Obj:
    product = s.get(req.args["id"], "product")
    before = s.render(product)
    _product_fields(product, req.params)
    if "default_price" in req.params:
        price = req.params["default_price"]
        product["default_price"] = (
            s.get(price, "price", param="default_price")["id"] if price else None
        )
    product["updated"] = s.now
    s.emit_update("product.updated", product, before)
    return s.render(product)


@route("GET", "/v1/products", "active", "ids", "created", "shippable", "url", is_list=True)
def product_list(s: Store, req: Req) -> Obj:
    p = req.params
    ids = as_list(p.get("ids"), "ids")
    active = as_bool(p["active"], "active") if "active" in p else None
    created = s.created_filter(p)
    found = s.find(
        "product",
        lambda o: (
            (active is None or o["active"] == active) and (not ids or o["id"] in ids) and created(o)
        ),
    )
    return s.page(found, p, "/v1/products")


@route("DELETE", "/v1/products/{id}")
def product_delete(s: Store, req: Req) -> Obj:
    product = s.get(req.args["id"], "product")
    if s.find("price", lambda o: o["product"] == product["id"]):
        raise invalid(
            "This product cannot be deleted because it has one or more user-created prices.",
            "id",
        )
    s.emit("product.deleted", product)
    product["_deleted"] = True
    return s.render(product)


PRICE_PARAMS = (
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "lookup_key",
    "transfer_lookup_key",
    "nickname",
    "metadata",
    "active",
    "tax_behavior",
    "billing_scheme",
    "currency_options",
    "custom_unit_amount",
    "tiers",
    "tiers_mode",
    "transform_quantity",
)


def new_price(s: Store, p: dict[str, Any]) -> Obj:
    currency = as_choice(str(required(p, "currency")).lower(), "currency", CURRENCIES)
    if p.get("product"):
        product = s.get(p["product"], "product", param="product")
    elif p.get("product_data"):
        product = new_product(s, as_dict(p["product_data"], "product_data"))
    else:
        raise invalid("You must specify either `product` or `product_data`.", "product")
    amount = as_int(required(p, "unit_amount"), "unit_amount", minimum=0)
    recurring = None
    if p.get("recurring"):
        r = as_dict(p["recurring"], "recurring")
        recurring = {
            "interval": as_choice(
                required(r, "interval", param="recurring[interval]"),
                "recurring[interval]",
                ("day", "week", "month", "year"),
            ),
            "interval_count": as_int(
                r.get("interval_count", 1), "recurring[interval_count]", minimum=1
            ),
            "meter": None,
            "trial_period_days": None,
            "usage_type": as_choice(
                r.get("usage_type", "licensed"), "recurring[usage_type]", ("licensed", "metered")
            ),
        }
    lookup_key = p.get("lookup_key") or None
    if lookup_key:
        clash = s.find("price", lambda o: o["lookup_key"] == lookup_key)
        if clash and not as_bool(p.get("transfer_lookup_key", "false"), "transfer_lookup_key"):
            raise invalid(
                f"A price (`{clash[0]['id']}`) already uses that lookup key.", "lookup_key"
            )
        for other in clash:
            other["lookup_key"] = None
    price = s.add(
        {
            "id": new_id("price"),
            "object": "price",
            "active": as_bool(p.get("active", True), "active"),
            "billing_scheme": "per_unit",
            "created": s.now,
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": lookup_key,
            "metadata": {},
            "nickname": p.get("nickname") or None,
            "product": product["id"],
            "recurring": recurring,
            "tax_behavior": p.get("tax_behavior") or "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring" if recurring else "one_time",
            "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }
    )
    apply_metadata(price, p.get("metadata"))
    s.emit("price.created", price)
    return price


@route("POST", "/v1/prices", *PRICE_PARAMS)
def price_create(s: Store, req: Req) -> Obj:
    return s.render(new_price(s, req.params))


@route("GET", "/v1/prices/{id}")
def price_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "price"))


@route(
    "POST",
    "/v1/prices/{id}",
    "active",
    "metadata",
    "nickname",
    "lookup_key",
    "transfer_lookup_key",
    "tax_behavior",
    "currency_options",
)
def price_update(s: Store, req: Req) -> Obj:
    price = s.get(req.args["id"], "price")
    before = s.render(price)
    p = req.params
    if "active" in p:
        price["active"] = as_bool(p["active"], "active")
    if "nickname" in p:
        price["nickname"] = p["nickname"] or None
    if "lookup_key" in p:
        price["lookup_key"] = p["lookup_key"] or None
    apply_metadata(price, p.get("metadata"))
    s.emit_update("price.updated", price, before)
    return s.render(price)


@route(
    "GET",
    "/v1/prices",
    "active",
    "product",
    "currency",
    "type",
    "lookup_keys",
    "recurring",
    "created",
    is_list=True,
)
def price_list(s: Store, req: Req) -> Obj:
    p = req.params
    active = as_bool(p["active"], "active") if "active" in p else None
    keys = as_list(p.get("lookup_keys"), "lookup_keys")
    interval = as_dict(p.get("recurring"), "recurring").get("interval")
    created = s.created_filter(p)

    def wanted(o: Obj) -> bool:
        return (
            (active is None or o["active"] == active)
            and (not p.get("product") or o["product"] == p["product"])
            and (not p.get("currency") or o["currency"] == p["currency"])
            and (not p.get("type") or o["type"] == p["type"])
            and (not keys or o["lookup_key"] in keys)
            and (not interval or (o["recurring"] or {}).get("interval") == interval)
            and created(o)
        )

    return s.page(s.find("price", wanted), p, "/v1/prices")
