"""The hosted pages a browser test can click through: Checkout, the billing portal, invoices.

GET  /checkout/{cs}              the session, a "Pay" button and a cancel link
POST /checkout/{cs}/complete     completes it (as `FakeStripe.complete_checkout`), 303 to
                                 success_url with {CHECKOUT_SESSION_ID} filled in
GET  /portal/{bps}               the customer's subscriptions and a link back (return_url)
POST /portal/{bps}/cancel/{sub}  cancel at period end, back to the portal page
GET  /invoice/{in}               status and amount, a "Pay" button while it is open
POST /invoice/{in}/pay           the customer pays it (invoice.paid), back to the page
GET  /invoice/{in}/pdf           a tiny PDF
"""

from __future__ import annotations

import re
from html import escape

from tests.stripe_fake import changes, checkout, invoices
from tests.stripe_fake.errors import StripeFakeError
from tests.stripe_fake.store import Obj, Store

Response = tuple[int, dict[str, str], bytes]


def _html(title: str, body: str) -> Response:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()


def _redirect(url: str) -> Response:
    return 303, {"Location": url}, b""


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


def _checkout_page(s: Store, session: Obj) -> Response:
    rows = "".join(
        f"<li>{li['quantity']} × {escape(li['description'])}: "
        f"{_money(li['amount_total'], li['currency'])}</li>"
        for li in session["_line_items"]
    )
    if session["status"] != "open":
        return _html("Checkout", f"<p>This session is {escape(session['status'])}.</p>")
    email = (
        ""
        if session["customer"] or session["customer_email"]
        else ('<label>Email <input type="email" name="email" required></label>')
    )
    cancel = (
        session["cancel_url"] and f'<a id="cancel" href="{escape(session["cancel_url"])}">Back</a>'
    )
    return _html(
        "Checkout",
        f"<ul>{rows}</ul><form method=post action=/checkout/{session['id']}/complete>{email}"
        f'<button id="pay" type="submit">Pay</button></form>{cancel or ""}',
    )


def _portal_page(s: Store, portal: Obj) -> Response:
    rows = []
    for sub in s.find("subscription", lambda o: o["customer"] == portal["customer"]):
        item = s.objects[sub["items"]["data"][0]]
        name = s.objects[item["price"]["product"]]["name"]
        cancel = ""
        if sub["status"] in ("active", "trialing", "past_due") and not sub["cancel_at_period_end"]:
            cancel = (
                f'<form method=post action="/portal/{portal["id"]}/cancel/{sub["id"]}">'
                '<button type="submit">Cancel plan</button></form>'
            )
        rows.append(f"<li>{escape(name)}: {sub['status']}{cancel}</li>")
    back = (
        portal["return_url"] and f'<a id="return" href="{escape(portal["return_url"])}">Return</a>'
    )
    return _html("Billing portal", f"<ul>{''.join(rows)}</ul>{back or ''}")


def _invoice_page(invoice: Obj) -> Response:
    pay = ""
    if invoice["status"] == "open":
        action = f"/invoice/{invoice['id']}/pay"
        pay = f'<form method=post action="{action}"><button id="pay">Pay</button></form>'
    return _html(
        f"Invoice {invoice['number'] or invoice['id']}",
        f"<p>Status: {invoice['status']}</p>"
        f"<p>Amount due: {_money(invoice['amount_due'], invoice['currency'])}</p>{pay}",
    )


def respond(s: Store, method: str, path: str, form: dict[str, str]) -> Response:
    """Answer a request outside /v1/ (the caller holds the store's lock)."""
    try:
        if found := re.fullmatch(r"/checkout/([\w]+)(/complete)?", path):
            session = s.get(found[1], "checkout.session")
            if method == "POST" and found[2]:
                checkout.complete(s, session, email=form.get("email") or None)
                target = (session["success_url"] or "/").replace(
                    "{CHECKOUT_SESSION_ID}", session["id"]
                )
                return _redirect(target)
            return _checkout_page(s, session)
        if found := re.fullmatch(r"/portal/(\w+)(?:/cancel/(\w+))?", path):
            portal = s.get(found[1], "billing_portal.session")
            if method == "POST" and found[2]:
                sub = s.get(found[2], "subscription")
                if sub["customer"] == portal["customer"]:
                    changes.update(s, sub, {"cancel_at_period_end": True})
                return _redirect(f"/portal/{portal['id']}")
            return _portal_page(s, portal)
        if found := re.fullmatch(r"/invoice/(\w+)(/pay|/pdf)?", path):
            invoice = s.get(found[1], "invoice")
            if found[2] == "/pdf":
                pdf = b"%PDF-1.4\n% fake Stripe invoice " + invoice["id"].encode() + b"\n%%EOF\n"
                return 200, {"Content-Type": "application/pdf"}, pdf
            if method == "POST" and found[2] == "/pay" and invoice["status"] == "open":
                invoices.mark_paid(s, invoice)
                return _redirect(f"/invoice/{invoice['id']}")
            return _invoice_page(invoice)
    except (StripeFakeError, RuntimeError) as exc:
        return 404, {"Content-Type": "text/plain; charset=utf-8"}, str(exc).encode()
    return 404, {"Content-Type": "text/plain; charset=utf-8"}, b"Not found"
