"""`FakeStripe`: the server plus what a test does that a Stripe API call cannot.

Everything here runs under the store's lock, as Stripe's own doing: events it records carry
`request: {"id": null, "idempotency_key": null}`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from tests.stripe_fake import (
    changes,
    checkout,
    customers,
    invoices,
    periods,
    products,
    subscriptions,
)
from tests.stripe_fake.server import ApiServer, Outage
from tests.stripe_fake.store import Obj, RequestContext
from tests.stripe_fake.webhooks import Delivery, deliver

# Matches dj-stripe's API key pattern (sk_test_ and at least 24 letters or digits).
TEST_API_KEY = "sk_test_FakeStripe0000000000000000000000"
DAY = 86400


class FakeStripe(ApiServer):
    """A fake Stripe API on 127.0.0.1 (`with FakeStripe() as fake: ... fake.url`)."""

    def __init__(self) -> None:
        super().__init__()
        self._delivered: dict[str, int] = {}  # delivery target -> events already sent

    def __enter__(self) -> FakeStripe:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget everything (objects, events, requests, outages), restart the clock at now."""
        with self.store.lock:
            self.store.reset()
            self.requests.clear()
            self.errors.clear()
            self.outage = None
            self._delivered.clear()

    @contextmanager
    def _acting(self) -> Iterator[None]:
        with self.store.lock:
            self.store.context = RequestContext()
            yield

    def client(self, api_key: str = TEST_API_KEY, **options: Any) -> stripe.StripeClient:
        """A `stripe.StripeClient` talking to this server."""
        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)

    # --- looking at the state ---------------------------------------------------------

    def get(self, object_id: str) -> Obj:
        """Any object by id, as the API would render it."""
        with self.store.lock:
            return self.store.render(self.store.objects[object_id])

    def objects(self, kind: str) -> list[Obj]:
        """Every object of a type (`"subscription"`, `"invoice"`, ...), newest first."""
        with self.store.lock:
            return [self.store.render(o) for o in self.store.find(kind)]

    def events(self, type: str | None = None, *, since: int = 0) -> list[Obj]:
        """Events in the order they happened (`since`: a `mark()` taken earlier)."""
        with self.store.lock:
            found = [self.store.objects[e] for e in self.store.event_ids[since:]]
            return [self.store.render(e) for e in found if type is None or e["type"] == type]

    def mark(self) -> int:
        return len(self.store.event_ids)

    @property
    def now(self) -> int:
        return self.store.now

    # --- seeding without HTTP ---------------------------------------------------------

    def create_price(
        self,
        unit_amount: int,
        *,
        interval: str | None = "month",
        product: str | None = None,
        name: str = "Plan",
        currency: str = "eur",
        lookup_key: str | None = None,
        **extra: Any,
    ) -> Obj:
        with self._acting():
            params: dict[str, Any] = {"unit_amount": unit_amount, "currency": currency, **extra}
            params["product"] = product or products.new_product(self.store, {"name": name})["id"]
            if interval:
                params["recurring"] = {"interval": interval}
            if lookup_key:
                params["lookup_key"] = lookup_key
            return self.store.render(products.new_price(self.store, params))

    def create_customer(self, email: str = "customer@example.test", **params: Any) -> Obj:
        with self._acting():
            return self.store.render(customers.new_customer(self.store, {"email": email, **params}))

    def add_payment_method(
        self, customer: str, *, brand: str = "visa", default: bool = True
    ) -> Obj:
        """A card attached to the customer (and made the invoices' default)."""
        with self._acting():
            owner = self.store.get(customer, "customer")
            pm = customers.new_payment_method(self.store, brand=brand)
            customers.attach(self.store, pm, owner)
            if default:
                before = self.store.render(owner)
                owner["invoice_settings"]["default_payment_method"] = pm["id"]
                self.store.emit_update("customer.updated", owner, before)
            return self.store.render(pm)

    def create_subscription(
        self, customer: str, price: str, *, trial_days: int | None = None, **params: Any
    ) -> Obj:
        with self._acting():
            owner = self.store.get(customer, "customer")
            p = {"items": [{"price": price}], **params}
            if trial_days:
                p["trial_period_days"] = trial_days
            return self.store.render(subscriptions.create(self.store, owner, p))

    # --- scenarios --------------------------------------------------------------------

    def complete_checkout(
        self,
        session_id: str,
        *,
        email: str | None = None,
        name: str | None = None,
        brand: str = "visa",
    ) -> Obj:
        """The customer pays on the Checkout page: customer, card, subscription (trialing or
        active), first invoice paid; events include `checkout.session.completed`,
        `customer.subscription.created` and `invoice.paid`."""
        with self._acting():
            session = self.store.get(session_id, "checkout.session")
            return self.store.render(
                checkout.complete(self.store, session, email=email, name=name, brand=brand)
            )

    def fail_next_payment(
        self, customer: str, *, times: int = 1, decline_code: str = "card_declined"
    ) -> None:
        """The customer's next `times` charges are declined."""
        with self._acting():
            self.store.get(customer, "customer")
            queue = self.store.outcomes.setdefault(customer, deque())
            queue.extend([("fail", decline_code)] * times)

    def require_action(self, customer: str, *, times: int = 1) -> None:
        """The customer's next `times` charges need authentication (3-D Secure)."""
        with self._acting():
            self.store.get(customer, "customer")
            queue = self.store.outcomes.setdefault(customer, deque())
            queue.extend([("action", "authentication_required")] * times)

    def fail_all_payments(self, customer: str, decline_code: str = "card_declined") -> None:
        """Every charge of the customer is declined until `clear_payment_failures`."""
        with self._acting():
            self.store.get(customer, "customer")
            self.store.failing[customer] = decline_code

    def clear_payment_failures(self, customer: str) -> None:
        with self._acting():
            self.store.failing.pop(customer, None)
            self.store.outcomes.pop(customer, None)

    def pay_invoice(self, invoice_id: str, *, out_of_band: bool = False) -> Obj:
        """The customer pays an open invoice (hosted invoice page, new card): `invoice.paid`,
        and a past_due/incomplete subscription with nothing else open becomes active."""
        with self._acting():
            invoice = self.store.get(invoice_id, "invoice")
            if invoice["status"] != "open":
                raise RuntimeError(f"invoice {invoice_id} is {invoice['status']}, not open")
            invoices.mark_paid(self.store, invoice, out_of_band=out_of_band)
            return self.store.render(invoice)

    def trial_will_end(self, subscription_id: str) -> Obj:
        """Send `customer.subscription.trial_will_end` now (`advance_clock` sends it 3 days
        before a trial ends)."""
        with self._acting():
            sub = self.store.get(subscription_id, "subscription")
            sub["_trial_will_end_sent"] = True
            return self.store.emit("customer.subscription.trial_will_end", sub)

    def update_subscription(self, subscription_id: str, **params: Any) -> Obj:
        """Change a subscription as the customer does in the billing portal (same parameters
        as the API: `items`, `cancel_at_period_end`, `proration_behavior`, ...)."""
        with self._acting():
            sub = self.store.get(subscription_id, "subscription")
            changes.update(self.store, sub, params)
            return self.store.render(sub)

    def expire_checkout(self, session_id: str) -> Obj:
        with self._acting():
            session = self.store.get(session_id, "checkout.session")
            session.update(status="expired", url=None)
            self.store.emit("checkout.session.expired", session)
            return self.store.render(session)

    def renew(self, subscription_id: str) -> list[Obj]:
        """Advance the clock to the end of this subscription's current period (or trial)."""
        with self.store.lock:
            sub = self.store.get(subscription_id, "subscription")
            end = periods.period(self.store, sub)[1]
        return self.advance_clock(to=max(end, self.store.now))

    def advance_clock(
        self, days: float = 0, *, hours: float = 0, seconds: int = 0, to: int | None = None
    ) -> list[Obj]:
        """Move Stripe's clock forward, doing in order whatever falls due: trial_will_end
        notices, renewals (new period on the items, an invoice charged), cancellations at
        period end, payment retries (Smart Retries: `store.retry_delays_days`, then
        `store.after_failed_retries`), incomplete subscriptions expiring. Returns the events."""
        with self._acting():
            store = self.store
            target = to if to is not None else int(store.now + days * DAY + hours * 3600 + seconds)
            if target < store.now:
                raise ValueError("the clock only moves forward")
            start = self.mark()
            for _ in range(100_000):
                due = self._next_due()
                if due is None or due[0] > target:
                    break
                store.now = max(store.now, due[0])
                self._run(due[1], due[2])
            store.now = target
        return self.events(since=start)

    def _next_due(self) -> tuple[int, int, Obj] | None:
        store = self.store
        due: list[tuple[int, int, Obj]] = []
        for sub in store.find("subscription"):
            status = sub["status"]
            if status == "trialing" and not sub["_trial_will_end_sent"]:
                notice = sub["trial_end"] - store.trial_will_end_days * DAY
                due.append((max(notice, sub["trial_start"] or sub["created"]), 0, sub))
            if status in ("active", "trialing", "past_due", "unpaid"):
                end = periods.period(store, sub)[1]
                cancel_at = sub["cancel_at"]
                due.append((min(end, cancel_at) if cancel_at else end, 2, sub))
            if status == "incomplete":
                due.append((sub["created"] + store.incomplete_expiry_seconds, 3, sub))
        for invoice in store.find("invoice", lambda o: o["status"] == "open"):
            if invoice["next_payment_attempt"] is not None:
                due.append((invoice["next_payment_attempt"], 1, invoice))
        return min(due, key=lambda d: (d[0], d[1])) if due else None

    def _run(self, kind: int, obj: Obj) -> None:
        store = self.store
        if kind == 0:
            obj["_trial_will_end_sent"] = True
            store.emit("customer.subscription.trial_will_end", obj)
        elif kind == 1:
            if invoices.attempt(store, obj) != "paid" and obj["next_payment_attempt"] is None:
                sub = store.objects.get(obj["subscription"] or "")
                if sub and sub["status"] not in ("canceled", "incomplete_expired"):
                    if store.after_failed_retries == "cancel":
                        subscriptions.cancel_now(store, sub, reason="payment_failed")
                    elif store.after_failed_retries == "unpaid":
                        invoices.set_status(store, sub, "unpaid")
        elif kind == 2:
            if obj["cancel_at"] is not None and obj["cancel_at"] < periods.period(store, obj)[1]:
                subscriptions.cancel_now(store, obj)
            else:
                subscriptions.renew(store, obj)
        else:
            for invoice in store.find(
                "invoice", lambda o: o["subscription"] == obj["id"] and o["status"] == "open"
            ):
                invoice.update(status="void", amount_remaining=0, next_payment_attempt=None)
                invoice["status_transitions"]["voided_at"] = store.now
                store.emit("invoice.voided", invoice)
            before = store.render(obj)
            obj["status"] = "incomplete_expired"
            obj["ended_at"] = store.now
            store.emit_update("customer.subscription.updated", obj, before)

    # --- outages and webhooks ---------------------------------------------------------

    def set_down(
        self, down: bool = True, *, status: int = 503, retryable: bool = False, mode: str = "error"
    ) -> None:
        """Every API call fails until `set_down(False)`: HTTP `status` with an `api_error`
        (`stripe.APIError`), or with `mode="disconnect"` the connection is closed unanswered
        (`stripe.APIConnectionError`). `retryable` sends `Stripe-Should-Retry: true`, so the
        library retries (with its back-off) before giving up."""
        if mode not in ("error", "disconnect"):
            raise ValueError(mode)
        self.outage = Outage(status, retryable, mode) if down else None

    def deliver(self, event: Obj | str | bytes, url: str, secret: str, **options: Any) -> Delivery:
        """POST one event to `url` signed with `secret` (see `webhooks.deliver` for options)."""
        return deliver(event, url, secret, **options)

    def deliver_pending(
        self, url: str | None = None, secret: str | None = None, **options: Any
    ) -> list[Delivery]:
        """Send every event not yet sent: to `url` with `secret`, or else to each enabled
        webhook endpoint created through the API (its events, its secret). In order, one at
        a time, from the calling thread."""
        with self.store.lock:
            if url is not None:
                if secret is None:
                    raise ValueError("a url needs its secret")
                targets = [(url, url, secret, ["*"])]
            else:
                targets = [
                    (e["id"], e["url"], e["_secret"], e["enabled_events"])
                    for e in self.store.find("webhook_endpoint")
                    if e["status"] == "enabled"
                ]
            batches = []
            for key, target, key_secret, types in targets:
                start = self._delivered.get(key, 0)
                events = [
                    self.store.render(self.store.objects[e]) for e in self.store.event_ids[start:]
                ]
                self._delivered[key] = len(self.store.event_ids)
                wanted = [e for e in events if "*" in types or e["type"] in types]
                batches.append((target, key_secret, wanted))
        sent = []
        for target, key_secret, events in batches:  # outside the lock: the app may call back
            for event in events:
                sent.append(deliver(event, target, key_secret, **options))
        return sent
