"""Invoices, their lines and pending invoice items, and paying them.

An invoice is created `draft` (`invoice.created`), finalized at once (`invoice.finalized`,
status `open`) and then charged: `paid` (`invoice.paid`, `invoice.payment_succeeded`), or it
stays `open` with `invoice.payment_failed` / `invoice.payment_action_required`. Which one is
decided by the customer's queued outcomes (`FakeStripe.fail_next_payment`, `require_action`)
and whether a payment method is on file. The subscription's status follows.
"""

from __future__ import annotations

from tests.stripe_fake.errors import card_declined, invalid
from tests.stripe_fake.forms import as_bool
from tests.stripe_fake.routing import Req, route
from tests.stripe_fake.store import Obj, Store, new_id

DAY = 86400


def build(
    s: Store,
    customer: Obj,
    sub: Obj | None,
    lines: list[Obj],
    *,
    billing_reason: str,
    period: tuple[int, int],
    preview: bool = False,
) -> Obj:
    """The invoice object (not stored): totals, the customer's credit balance applied."""
    invoice_id = new_id("upcoming_in") if preview else new_id("in")
    total = sum(li["amount"] for li in lines)
    balance = customer["balance"]
    applied = min(-balance, total) if balance < 0 < total else 0
    amount_due = max(total - applied, 0)
    ending = balance + applied + (total if total < 0 else 0)
    for li in lines:
        li["invoice"] = invoice_id
    sub_id = sub["id"] if sub else None
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "BG",
        "account_name": "Fake Stripe",
        "amount_due": amount_due,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": amount_due,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": not preview,
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": s.now,
        "currency": lines[0]["currency"] if lines else (customer["currency"] or "eur"),
        "custom_fields": None,
        "customer": customer["id"],
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_tax_exempt": customer["tax_exempt"],
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": ending if not preview else None,
        "footer": None,
        "hosted_invoice_url": None if preview else f"{s.base_url}/invoice/{invoice_id}",
        "invoice_pdf": None if preview else f"{s.base_url}/invoice/{invoice_id}/pdf",
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "lines": {
            "object": "list",
            "data": lines,
            "has_more": False,
            "total_count": len(lines),
            "url": f"/v1/invoices/{invoice_id}/lines",
        },
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(sub["metadata"]) if sub else {},
                "subscription": sub_id,
            },
        }
        if sub
        else None,
        "period_end": period[1],
        "period_start": period[0],
        "receipt_number": None,
        "starting_balance": balance,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_taxes": [],
        "webhooks_delivered_at": None,
        # legacy (before 2025-03-31.basil), still read by dj-stripe 2.11
        "paid": False,
        "subscription": sub_id,
    }


def issue(
    s: Store,
    customer: Obj,
    sub: Obj | None,
    lines: list[Obj],
    *,
    billing_reason: str,
    period: tuple[int, int],
) -> Obj:
    """Create, store and finalize an invoice (events: invoice.created, invoice.finalized)."""
    invoice = s.add(build(s, customer, sub, lines, billing_reason=billing_reason, period=period))
    customer["balance"] = invoice["ending_balance"]
    for li in lines:
        if li["invoice_item"]:
            s.objects[li["invoice_item"]]["invoice"] = invoice["id"]
    if sub:
        sub["latest_invoice"] = invoice["id"]
    s.emit("invoice.created", invoice)
    customer["next_invoice_sequence"] += 1
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence'] - 1:04d}"
    invoice["status"] = "open"
    invoice["effective_at"] = s.now
    invoice["status_transitions"]["finalized_at"] = s.now
    s.emit("invoice.finalized", invoice)
    return invoice


def payment_method_for_sub(s: Store, sub: Obj) -> str | None:
    customer = s.objects[sub["customer"]]
    return sub["default_payment_method"] or customer["invoice_settings"]["default_payment_method"]


def payment_method_for(s: Store, invoice: Obj) -> str | None:
    sub = s.objects.get(invoice["subscription"] or "")
    customer = s.objects[invoice["customer"]]
    return (
        invoice["default_payment_method"]
        or (sub or {}).get("default_payment_method")
        or customer["invoice_settings"]["default_payment_method"]
    )


def peek_outcome(s: Store, customer_id: str, payment_method: str | None) -> tuple[str, str]:
    """("succeed"|"fail"|"action", decline code) for this customer's next charge."""
    if customer_id in s.failing:
        return "fail", s.failing[customer_id]
    queue = s.outcomes.get(customer_id)
    if queue:
        return queue[0]
    if payment_method is None:
        return "fail", "missing_payment_method"
    return "succeed", ""


def consume_outcome(s: Store, customer_id: str) -> None:
    """Use up the customer's next queued outcome (a charge was attempted without an invoice)."""
    queue = s.outcomes.get(customer_id)
    if customer_id not in s.failing and queue:
        queue.popleft()


def next_outcome(s: Store, invoice: Obj) -> tuple[str, str]:
    """The outcome of charging this invoice now (a queued outcome is used up)."""
    customer_id = invoice["customer"]
    outcome = peek_outcome(s, customer_id, payment_method_for(s, invoice))
    consume_outcome(s, customer_id)
    return outcome


def attempt(s: Store, invoice: Obj, *, retries: bool = True) -> str:
    """Charge an open invoice: "paid", "failed" or "action" (events and subscription follow)."""
    if invoice["amount_due"] == 0:
        mark_paid(s, invoice)
        return "paid"
    before = s.render(invoice)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    outcome, code = next_outcome(s, invoice)
    if outcome == "succeed":
        mark_paid(s, invoice)
        return "paid"
    delays = s.retry_delays_days
    count = invoice["attempt_count"]
    scheduled = (
        retries and invoice["billing_reason"] != "subscription_create" and count <= len(delays)
    )
    invoice["next_payment_attempt"] = s.now + delays[count - 1] * DAY if scheduled else None
    invoice["_decline_code"] = code
    if outcome == "action":
        s.emit("invoice.payment_action_required", invoice)
    else:
        s.emit("invoice.payment_failed", invoice)
    s.emit_update("invoice.updated", invoice, before)
    _subscription_after_failure(s, invoice)
    return "action" if outcome == "action" else "failed"


def mark_paid(s: Store, invoice: Obj, *, out_of_band: bool = False) -> None:
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        paid=True,
        next_payment_attempt=None,
        auto_advance=False,
    )
    invoice["status_transitions"]["paid_at"] = s.now
    invoice["_out_of_band"] = out_of_band
    s.emit("invoice.paid", invoice)
    if not out_of_band:
        s.emit("invoice.payment_succeeded", invoice)
    sub = s.objects.get(invoice["subscription"] or "")
    if sub and sub["status"] in ("incomplete", "past_due", "unpaid"):
        still_open = s.find(
            "invoice", lambda o: o["subscription"] == sub["id"] and o["status"] == "open"
        )
        if not still_open:
            set_status(s, sub, "active")


def _subscription_after_failure(s: Store, invoice: Obj) -> None:
    sub = s.objects.get(invoice["subscription"] or "")
    if sub and sub["status"] in ("active", "trialing"):
        set_status(s, sub, "past_due")


def set_status(s: Store, sub: Obj, status: str) -> None:
    before = s.render(sub)
    sub["status"] = status
    s.emit_update("customer.subscription.updated", sub, before)


# --- routes -----------------------------------------------------------------------------


@route("GET", "/v1/invoices/{id}")
def invoice_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "invoice"))


@route(
    "GET",
    "/v1/invoices",
    "customer",
    "subscription",
    "status",
    "created",
    "collection_method",
    "due_date",
    is_list=True,
)
def invoice_list(s: Store, req: Req) -> Obj:
    p = req.params
    created = s.created_filter(p)

    def wanted(o: Obj) -> bool:
        return (
            (not p.get("customer") or o["customer"] == p["customer"])
            and (not p.get("subscription") or o["subscription"] == p["subscription"])
            and (not p.get("status") or o["status"] == p["status"])
            and created(o)
        )

    return s.page(s.find("invoice", wanted), p, "/v1/invoices")


@route("GET", "/v1/invoices/{id}/lines", is_list=True)
def invoice_lines(s: Store, req: Req) -> Obj:
    invoice = s.get(req.args["id"], "invoice")
    return s.page(invoice["lines"]["data"], req.params, f"/v1/invoices/{invoice['id']}/lines")


@route(
    "POST",
    "/v1/invoices/{id}/pay",
    "paid_out_of_band",
    "payment_method",
    "off_session",
    "forgive",
    "source",
    "mandate",
)
def invoice_pay(s: Store, req: Req) -> Obj:
    invoice = s.get(req.args["id"], "invoice")
    if invoice["status"] == "paid":
        raise invalid("Invoice is already paid", "invoice", code="invoice_already_paid")
    if invoice["status"] != "open":
        raise invalid(f"You cannot pay an invoice with status {invoice['status']}.", "invoice")
    if as_bool(req.params.get("paid_out_of_band", False), "paid_out_of_band"):
        mark_paid(s, invoice, out_of_band=True)
        return s.render(invoice)
    if req.params.get("payment_method"):
        invoice["default_payment_method"] = s.get(
            req.params["payment_method"], "payment_method", param="payment_method"
        )["id"]
    if attempt(s, invoice, retries=invoice["next_payment_attempt"] is not None) != "paid":
        raise card_declined(
            invoice.get("_decline_code") or "generic_decline",
            extra={"invoice": invoice["id"]},
        )
    return s.render(invoice)


@route("POST", "/v1/invoices/{id}/void")
def invoice_void(s: Store, req: Req) -> Obj:
    invoice = s.get(req.args["id"], "invoice")
    if invoice["status"] != "open":
        raise invalid(f"You can only void open invoices (this one is {invoice['status']}).", "id")
    before = s.render(invoice)
    invoice.update(status="void", amount_remaining=0, next_payment_attempt=None, auto_advance=False)
    invoice["status_transitions"]["voided_at"] = s.now
    s.emit("invoice.voided", invoice)
    s.emit_update("invoice.updated", invoice, before)
    return s.render(invoice)


@route("GET", "/v1/invoiceitems/{id}")
def invoiceitem_retrieve(s: Store, req: Req) -> Obj:
    return s.render(s.get(req.args["id"], "invoiceitem"))


@route("GET", "/v1/invoiceitems", "customer", "invoice", "pending", "created", is_list=True)
def invoiceitem_list(s: Store, req: Req) -> Obj:
    p = req.params
    pending = as_bool(p["pending"], "pending") if "pending" in p else None

    def wanted(o: Obj) -> bool:
        return (
            (not p.get("customer") or o["customer"] == p["customer"])
            and (not p.get("invoice") or o["invoice"] == p["invoice"])
            and (pending is None or (o["invoice"] is None) == pending)
        )

    return s.page(s.find("invoiceitem", wanted), p, "/v1/invoiceitems")
