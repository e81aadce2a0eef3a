"""Webhook signatures as Stripe computes them, and delivery over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from tests.stripe_fake import deliver, django_post_kwargs, sign
from tests.stripe_fake.fake import FakeStripe

SECRET = "whsec_test_secret_for_the_fake"


class Receiver:
    """A stand-in app endpoint: verifies with `stripe.Webhook.construct_event`, 400 if bad."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.events: list[stripe.Event] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    event = stripe.Webhook.construct_event(
                        body, self.headers.get("Stripe-Signature"), receiver.secret
                    )
                except (ValueError, stripe.SignatureVerificationError) as exc:
                    status, answer = 400, type(exc).__name__.encode()
                else:
                    receiver.events.append(event)
                    status, answer = 200, event.id.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stripe/webhook/"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = Receiver(SECRET)
    yield app
    app.httpd.shutdown()
    app.httpd.server_close()


def test_signature_matches_stripes_own() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event"})
    header = sign(payload, SECRET, timestamp=1_700_000_000)
    expected = stripe.WebhookSignature.generate_signature_header(
        payload, SECRET, timestamp=1_700_000_000
    )
    assert header == expected
    assert stripe.WebhookSignature.verify_header(
        payload, sign(payload, SECRET), SECRET, tolerance=300
    )


def test_construct_event_round_trip_and_rejections(fake_stripe: FakeStripe) -> None:
    stripe.Customer.create(email="a@example.test")
    event = fake_stripe.events("customer.created")[0]
    body = json.dumps(event, indent=2)
    parsed = stripe.Webhook.construct_event(body, sign(body, SECRET), SECRET)
    assert (parsed.id, parsed.type) == (event["id"], "customer.created")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign(body, "whsec_other"), SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, sign(body, SECRET, int(time.time()) - 3600), SECRET)


def test_deliver_over_http_with_good_and_bad_signatures(
    fake_stripe: FakeStripe, receiver: Receiver
) -> None:
    stripe.Customer.create(email="a@example.test")
    event = fake_stripe.events("customer.created")[0]
    good = fake_stripe.deliver(event, receiver.url, SECRET)
    assert (good.status, good.body, good.event_type) == (200, event["id"], "customer.created")
    assert receiver.events[0].data.object.email == "a@example.test"
    assert deliver(event, receiver.url, "whsec_wrong").status == 400
    assert deliver(event, receiver.url, SECRET, timestamp=int(time.time()) - 3600).status == 400
    assert deliver(event, receiver.url, SECRET, signature="t=1,v1=deadbeef").status == 400
    assert deliver(event, receiver.url, SECRET, omit_signature=True).status == 400
    malformed = deliver(b"{not json", receiver.url, SECRET)
    assert (malformed.status, malformed.body) == (400, "JSONDecodeError")
    with pytest.raises(ValueError, match="loopback"):
        deliver(event, "https://example.com/hook", SECRET)


def test_deliver_pending_to_registered_endpoints(
    fake_stripe: FakeStripe, receiver: Receiver
) -> None:
    endpoint = stripe.WebhookEndpoint.create(
        url=receiver.url, enabled_events=["customer.subscription.created", "invoice.paid"]
    )
    assert endpoint.secret
    receiver.secret = endpoint.secret
    price = fake_stripe.create_price(1000)
    session = stripe.checkout.Session.create(
        mode="subscription",
        line_items=[{"price": price["id"], "quantity": 1}],
        success_url="http://localhost/ok",
        customer_email="a@example.test",
    )
    fake_stripe.complete_checkout(session.id)
    assert fake_stripe.events("invoice.paid")[0]["pending_webhooks"] == 1
    sent = fake_stripe.deliver_pending()
    assert [d.event_type for d in sent] == ["customer.subscription.created", "invoice.paid"]
    assert all(d.ok for d in sent)
    assert fake_stripe.deliver_pending() == []  # each event goes once
    everything = fake_stripe.deliver_pending(receiver.url, endpoint.secret)
    assert len(everything) == len(fake_stripe.events())


def test_django_test_client_kwargs_are_signed() -> None:
    kwargs = django_post_kwargs({"id": "evt_1", "object": "event"}, SECRET)
    header = kwargs["headers"]["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(
        kwargs["data"].decode(), header, SECRET, tolerance=300
    )
    assert kwargs["content_type"].startswith("application/json")
