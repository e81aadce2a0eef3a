"""Signing and sending webhooks exactly as Stripe does.

The `Stripe-Signature` header is `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with
the endpoint secret>`; the body is the event's JSON, sent byte for byte as signed. `deliver()`
POSTs over real HTTP (keep it on 127.0.0.1); `django_post_kwargs()` gives the same request for
Django's test client.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Payload = dict[str, Any] | str | bytes


def encode(event: Payload) -> bytes:
    """The body Stripe sends: the event as pretty-printed JSON (str/bytes are sent as they are,
    for malformed bodies)."""
    if isinstance(event, bytes):
        return event
    if isinstance(event, str):
        return event.encode()
    return json.dumps(event, indent=2).encode()


def sign(payload: str | bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for this exact body."""
    body = payload.decode() if isinstance(payload, bytes) else payload
    ts = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def django_post_kwargs(
    event: Payload, secret: str, *, timestamp: int | None = None, signature: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for `client.post(url, **kwargs)` that send a signed webhook."""
    body = encode(event)
    header = signature if signature is not None else sign(body, secret, timestamp)
    return {
        "data": body,
        "content_type": "application/json; charset=utf-8",
        "headers": {"Stripe-Signature": header},
    }


@dataclass
class Delivery:
    """One webhook POST and what the app answered."""

    url: str
    status: int
    body: str
    event_id: str | None = None
    event_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def deliver(
    event: Payload,
    url: str,
    secret: str,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
    omit_signature: bool = False,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Delivery:
    """POST `event` to `url` as Stripe does, signed with `secret`.

    `timestamp` signs with another time (e.g. `time.time() - 3600`: older than the app's
    tolerance); `signature` replaces the whole header (a wrong one); `omit_signature` sends
    none; a str/bytes `event` is sent unchanged (malformed bodies)."""
    body = encode(event)
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"webhooks go to loopback only, not {url}")
    sent = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Cache-Control": "no-cache",
        "Accept": "*/*; q=0.5, application/xml",
        "Content-Length": str(len(body)),
        "Host": parts.netloc,
    }
    if not omit_signature:
        sent["Stripe-Signature"] = (
            signature if signature is not None else sign(body, secret, timestamp)
        )
    sent.update(headers or {})
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request("POST", target or "/", body=body, headers=sent)
        response = connection.getresponse()
        answer = response.read().decode(errors="replace")
        status, answered = response.status, dict(response.getheaders())
    finally:
        connection.close()
    event_id = event_type = None
    if isinstance(event, dict):
        event_id, event_type = event.get("id"), event.get("type")
    return Delivery(url, status, answer, event_id, event_type, answered)
