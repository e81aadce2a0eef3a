"""Billing portal sessions, webhook endpoints (their `secret` only on create) and events."""

from __future__ import annotations

import secrets

from tests.stripe_fake.errors import invalid
from tests.stripe_fake.forms import apply_metadata, as_bool, as_list, required
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store, new_id


@route(
    "POST",
    "/v1/billing_portal/sessions",
    "customer",
    "return_url",
    "configuration",
    "flow_data",
    "locale",
    "on_behalf_of",
    "customer_account",
)
def portal_session_create(s: Store, req: Req) -> Obj:
    customer = s.get(required(req.params, "customer"), "customer", param="customer")
    session_id = new_id("bps")
    flow = req.params.get("flow_data") or None
    if flow is not None and not isinstance(flow, dict):
        raise invalid("Invalid object", "flow_data")
    session = s.add(
        {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": req.params.get("configuration") or "bpc_1FakeStripeDefault",
            "created": s.now,
            "customer": customer["id"],
            "flow": flow,
            "livemode": False,
            "locale": req.params.get("locale") or None,
            "on_behalf_of": None,
            "return_url": req.params.get("return_url") or None,
            "url": f"{s.base_url}/portal/{session_id}",
        }
    )
    return s.render(session)


# --- webhook endpoints ------------------------------------------------------------------

ENDPOINT_PARAMS = (
    "url",
    "enabled_events",
    "description",
    "metadata",
    "disabled",
    "api_version",
    "connect",
)


def _endpoint_fields(endpoint: Obj, p: dict[str, object]) -> None:
    if "url" in p:
        url = str(p["url"])
        if not url.startswith(("http://", "https://")):
            raise invalid(
                "Invalid URL: URL must be publicly accessible.", "url", code="url_invalid"
            )
        endpoint["url"] = url
    if "enabled_events" in p:
        events = as_list(p["enabled_events"], "enabled_events")
        if not events:
            raise invalid("You must specify at least one event type.", "enabled_events")
        endpoint["enabled_events"] = [str(e) for e in events]
    if "description" in p:
        endpoint["description"] = p["description"] or None
    if "disabled" in p:
        endpoint["status"] = "disabled" if as_bool(p["disabled"], "disabled") else "enabled"
    apply_metadata(endpoint, p.get("metadata"))


@route("POST", "/v1/webhook_endpoints", *ENDPOINT_PARAMS)
def webhook_endpoint_create(s: Store, req: Req) -> Obj:
    required(req.params, "url")
    required(req.params, "enabled_events")
    endpoint = s.add(
        {
            "id": new_id("we"),
            "object": "webhook_endpoint",
            "api_version": req.params.get("api_version") or None,
            "application": None,
            "created": s.now,
            "description": None,
            "enabled_events": [],
            "livemode": False,
            "metadata": {},
            "status": "enabled",
            "url": "",
            "_secret": "whsec_" + secrets.token_urlsafe(24).replace("-", "a").replace("_", "b"),
        }
    )
    _endpoint_fields(endpoint, req.params)
    # The secret is only ever returned by the create call, as by Stripe.
    return {**s.render(endpoint), "secret": endpoint["_secret"]}


@route("GET", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "webhook_endpoint"))


@route("POST", "/v1/webhook_endpoints/{id}", *ENDPOINT_PARAMS)
def webhook_endpoint_update(s: Store, req: Req) -> Obj:
    endpoint = s.get(req.args["id"], "webhook_endpoint")
    _endpoint_fields(endpoint, req.params)
    return s.render(endpoint)


@route("GET", "/v1/webhook_endpoints", is_list=True)
def webhook_endpoint_list(s: Store, req: Req) -> Obj:
    return s.page(s.find("webhook_endpoint"), req.params, "/v1/webhook_endpoints")


@route("DELETE", "/v1/webhook_endpoints/{id}")
def webhook_endpoint_delete(s: Store, req: Req) -> Obj:
    endpoint = s.get(req.args["id"], "webhook_endpoint")
    endpoint["_deleted"] = True
    return s.render(endpoint)


# --- events -----------------------------------------------------------------------------


@route("GET", "/v1/events/{id}")
def event_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "event"))


@route("GET", "/v1/events", "type", "types", "created", "delivery_success", is_list=True)
def event_list(s: Store, req: Req) -> Obj:
    p = req.params
    types = [str(t) for t in as_list(p.get("types"), "types")]
    if p.get("type"):
        types.append(str(p["type"]))
    created = s.created_filter(p)

    def wanted(o: Obj) -> bool:
        if not created(o):
            return False
        if not types:
            return True
        return any(
            o["type"] == t or (t.endswith("*") and o["type"].startswith(t[:-1])) for t in types
        )

    return s.page(s.find("event", wanted), p, "/v1/events")
