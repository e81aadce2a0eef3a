"""The fake's in-memory state: objects by id, the clock, events, idempotency, expansion, lists.

Objects are stored as the JSON Stripe returns, with two conventions: keys starting with `_`
are the fake's own bookkeeping (never rendered), and a list object whose `data` holds ids
(a subscription's `items`) is rendered with those objects in place.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tests.stripe_fake.errors import invalid, no_such
from tests.stripe_fake.forms import as_int, as_list

Obj = dict[str, Any]

# dj-stripe 2.11's DEFAULT_STRIPE_API_VERSION: what it sends as Stripe-Version.
API_VERSION = "2026-05-27.dahlia"
ACCOUNT_ID = "acct_1FakeStripeTest01"
_ALNUM = string.ascii_letters + string.digits
_NAMES = {
    "payment_method": "PaymentMethod",
    "webhook_endpoint": "webhook endpoint",
    "invoiceitem": "invoice item",
    "subscription_item": "subscription item",
    "billing_portal.session": "billing portal session",
}


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class RequestContext:
    """What an event's `request` says: the API request that caused it (None: automatic)."""

    request_id: str | None = None
    idempotency_key: str | None = None


Include = Callable[["Store", Obj], Any]


class Store:
    # (object type, field) -> builder for fields Stripe only returns when expanded
    includes: dict[tuple[str, str], Include] = {}

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.base_url = ""
        self.reset()

    def reset(self) -> None:
        self.objects: dict[str, Obj] = {}
        self._order: dict[str, int] = {}
        self._counter = itertools.count()
        self.now = int(time.time())
        self.event_ids: list[str] = []
        self.idempotency: dict[str, tuple[str, int, bytes]] = {}
        # customer id -> queued payment outcomes ("fail"/"action", decline code)
        self.outcomes: dict[str, deque[tuple[str, str]]] = {}
        self.failing: dict[str, str] = {}  # customer id -> decline code for every payment
        self.context = RequestContext()
        self.api_version = API_VERSION
        # Smart Retries: days between payment attempts, then what happens to the subscription.
        self.retry_delays_days: tuple[int, ...] = (3, 5, 7)
        self.after_failed_retries = "cancel"  # or "unpaid" or "past_due"
        self.trial_will_end_days = 3
        self.incomplete_expiry_seconds = 23 * 3600
        # Also put current_period_start/end on the subscription itself (pre-basil shape).
        self.legacy_periods = False

    # --- objects ----------------------------------------------------------------------

    def add(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        self._order[obj["id"]] = next(self._counter)
        return obj

    def get(self, object_id: Any, kind: str, *, param: str | None = None) -> Obj:
        """The object of `kind` with this id; Stripe's 404 (URL id) or 400 (`param`) if not."""
        obj = self.objects.get(object_id) if isinstance(object_id, str) else None
        if obj is None or obj.get("object") != kind:
            name = _NAMES.get(kind, kind)
            if param is None:
                raise no_such(name, str(object_id))
            raise no_such(name, str(object_id), param=param, status=400)
        return obj

    def find(self, kind: str, where: Callable[[Obj], bool] | None = None) -> list[Obj]:
        """Objects of `kind`, newest first (as Stripe lists them)."""
        found = [
            o
            for o in self.objects.values()
            if o.get("object") == kind and not o.get("_deleted") and (where is None or where(o))
        ]
        return sorted(
            found, key=lambda o: (o.get("created", 0), self._order[o["id"]]), reverse=True
        )

    def render(self, obj: Obj) -> Obj:
        if obj.get("_deleted"):
            return {"id": obj["id"], "object": obj["object"], "deleted": True}
        out = {}
        for key, value in obj.items():
            if key.startswith("_"):
                continue
            if (
                isinstance(value, dict)
                and value.get("object") == "list"
                and all(isinstance(v, str) for v in value.get("data", []))
            ):
                value = {**value, "data": [self.render(self.objects[v]) for v in value["data"]]}
            out[key] = copy.deepcopy(value)
        return out

    # --- expansion --------------------------------------------------------------------

    def expand(self, node: Obj, paths: Iterable[str]) -> Obj:
        for path in paths:
            parts = path.split(".")
            if len([p for p in parts if p != "data"]) > 4:
                raise invalid(
                    f"You cannot expand more than 4 levels of a property. Property: {path}",
                    "expand",
                )
            self._expand(node, parts, path)
        return node

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        if not parts:
            return
        key, rest = parts[0], parts[1:]
        if isinstance(node, list):
            for element in node:
                self._expand(element, parts, path)
            return
        if not isinstance(node, dict):
            return
        if node.get("object") == "list" and key == "data":
            for element in node.get("data", []):
                self._expand(element, rest, path)
            return
        if key not in node:
            include = self.includes.get((str(node.get("object")), key))
            if include is None:
                return  # not on this object (or not modelled by the fake): nothing to expand
            node[key] = include(self, node)
        node[key] = self._expanded(node[key], path)
        self._expand(node[key], rest, path)

    def _expanded(self, value: Any, path: str) -> Any:
        if isinstance(value, list):
            return [self._expanded(v, path) for v in value]
        if isinstance(value, str):
            target = self.objects.get(value)
            if target is not None:
                return self.render(target)
            if "_" not in value:
                raise invalid(f"This property cannot be expanded ({path}).", "expand")
        elif isinstance(value, bool | int | float):
            raise invalid(f"This property cannot be expanded ({path}).", "expand")
        return value

    # --- lists ------------------------------------------------------------------------

    def page(self, items: list[Obj], params: dict[str, Any], url: str) -> Obj:
        """One page of a list endpoint (`limit`, `starting_after`, `ending_before`)."""
        limit = as_int(params.get("limit", 10), "limit", minimum=1)
        if limit > 100:
            raise invalid("This value must be less than or equal to 100.", "limit")
        ids = [o["id"] for o in items]
        start, end = 0, len(items)
        for param in ("starting_after", "ending_before"):
            cursor = params.get(param)
            if cursor:
                if cursor not in ids:
                    raise no_such("object", cursor, param=param, status=400)
                if param == "starting_after":
                    start = ids.index(cursor) + 1
                else:
                    end = ids.index(cursor)
        if params.get("ending_before") and not params.get("starting_after"):
            start = max(start, end - limit)
            has_more = start > 0
        else:
            has_more = end - start > limit
        chosen = items[start:end][:limit]
        return {
            "object": "list",
            "data": [self.render(o) for o in chosen],
            "has_more": has_more,
            "url": url,
        }

    @staticmethod
    def created_filter(params: dict[str, Any]) -> Callable[[Obj], bool]:
        """`created=ts` or `created[gt|gte|lt|lte]=ts`."""
        bounds = params.get("created")
        if bounds in (None, ""):
            return lambda o: True
        if not isinstance(bounds, dict):
            exact = as_int(bounds, "created")
            return lambda o: o.get("created") == exact
        ops = {k: as_int(v, f"created[{k}]") for k, v in bounds.items()}
        tests = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }
        for op in ops:
            if op not in tests:
                raise invalid(f"Received unknown parameter: created[{op}]", f"created[{op}]")
        return lambda o: all(tests[op](o.get("created", 0), v) for op, v in ops.items())

    @staticmethod
    def expand_paths(params: dict[str, Any]) -> list[str]:
        return [str(p) for p in as_list(params.get("expand"), "expand")]

    # --- events -----------------------------------------------------------------------

    def emit(self, type_: str, obj: Obj, previous: Obj | None = None) -> Obj:
        """Record an Event whose `data.object` is a snapshot of `obj` as of now."""
        data: Obj = {"object": self.render(obj)}
        if previous:
            data["previous_attributes"] = previous
        endpoints = [
            e
            for e in self.find("webhook_endpoint")
            if e["status"] == "enabled" and {"*", type_} & set(e["enabled_events"])
        ]
        event = self.add(
            {
                "id": new_id("evt"),
                "object": "event",
                "api_version": self.api_version,
                "created": self.now,
                "data": data,
                "livemode": False,
                "pending_webhooks": len(endpoints),
                "request": {
                    "id": self.context.request_id,
                    "idempotency_key": self.context.idempotency_key,
                },
                "type": type_,
            }
        )
        self.event_ids.append(event["id"])
        return event

    def emit_update(self, type_: str, obj: Obj, before: Obj) -> Obj | None:
        """An `*.updated` event with `previous_attributes` (the changed top-level fields)."""
        after = self.render(obj)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        previous.update({k: None for k in after if k not in before})
        if not previous:
            return None
        return self.emit(type_, obj, previous)
