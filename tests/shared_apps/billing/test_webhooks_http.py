"""Stripe's webhooks as real HTTP POSTs to a running app (`manage.py runserver` against the test
database, dj-stripe pointed at the fake Stripe with STRIPE_API_HOST), signed with the secret
Stripe gave the endpoint our set-up service registered (`fake.deliver_pending()` sends each
event the endpoint subscribed to, in order, from this process).

The server sees committed rows only: each test's company, plan and endpoint are made in another
process (run_python) and removed the same way afterwards, with everything dj-stripe stored; the
test itself only reads (its transaction sees what the others committed).
"""

from __future__ import annotations

import email
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from djstripe import models as dj

from shared_apps.billing.models import BillingStateChange
from shared_apps.tenants.models import Company
from tests.processes import ROOT, run_in_django
from tests.servers import AppServer, app_server
from tests.shared_apps.billing.webhook_support import (
    prices_create,
    subscribe,
    wanted,
)
from tests.stripe_fake import Delivery, FakeStripe

pytestmark = [
    pytest.mark.slow,
    # Reads only: what the server and the set-up processes committed (see the docstring).
    pytest.mark.django_db,
]

State = Company.BillingState
ATTACKER_SECRET = "whsec_attacker_chosen_secret"


def _server_env(fake: FakeStripe, mail_dir: Path) -> dict[str, str]:
    return {
        "STRIPE_API_HOST": fake.url,
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@dataclass
class Pool:
    """Committed companies (one per test), a plan and the webhook endpoint, made in one
    process for the module and removed in one at its end."""

    prefix: str
    companies: list[dict[str, Any]]
    path: str  # the endpoint's URL path (both servers share the database, so the endpoint)
    secret: str


@pytest.fixture(scope="module")
def pool(
    request: pytest.FixtureRequest, django_db_setup: None, fake_stripe_server: FakeStripe
) -> Iterator[Pool]:
    wanted = {"world", "debug_world"}
    count = sum(
        1
        for item in request.session.items
        if getattr(item, "module", None) is request.module
        and wanted & set(getattr(item, "fixturenames", ()))
    )
    prefix = f"hook{uuid.uuid4().hex[:6]}"
    try:
        made = run_in_django(
            """
            from tests.shared_apps.billing.webhook_support import committed_pool_create
            print(json.dumps(committed_pool_create(
                prefix=prefix, count=count, base_url="http://localhost"
            )))
            """,
            env={"STRIPE_API_HOST": fake_stripe_server.url},
            prefix=prefix,
            count=count,
        )
        yield Pool(prefix, made["companies"], made["path"], made["secret"])
    finally:
        run_in_django(
            """
            from tests.shared_apps.billing.webhook_support import committed_pool_remove
            committed_pool_remove(prefix=prefix)
            print("null")
            """,
            prefix=prefix,
        )


@pytest.fixture(scope="module")
def server(pool: Pool, fake_stripe_server: FakeStripe, mail_dir: Path) -> Iterator[AppServer]:
    with app_server(**_server_env(fake_stripe_server, mail_dir)) as running:
        yield running


@dataclass
class World:
    fake: FakeStripe
    server: AppServer
    pool: Pool
    company: Company  # unsaved stand-in with the committed company's id and email
    monthly: str  # price ids in the fake
    yearly: str

    @property
    def url(self) -> str:
        return self.server.url("localhost", self.pool.path)

    def deliver_pending(self) -> list[Delivery]:
        """Every event not sent yet, in order (Stripe would send the endpoint's subscribed
        types only; unknown types are accepted anyway); each must be accepted."""
        sent = self.fake.deliver_pending(self.url, self.pool.secret)
        assert [(d.event_type, d.status) for d in sent if not d.ok] == []
        return sent

    def deliver(self, event: dict[str, Any] | bytes, **options: Any) -> Delivery:
        return self.fake.deliver(event, self.url, self.pool.secret, **options)

    def saved(self) -> Company:
        return Company.objects.get(pk=self.company.pk)

    def state(self) -> str:
        return str(self.saved().billing_state)

    def moves(self) -> list[tuple[str, str]]:
        rows = BillingStateChange.objects.filter(company_id=self.company.pk).order_by("at", "pk")
        return [(row.to_state, row.source.split(":")[0]) for row in rows]

    def events_stored(self, event_id: str) -> int:
        return dj.Event.objects.filter(id=event_id).count()

    def plan_prices_set(self) -> int:
        """Give the pool's plan this test's prices (committed); the plan's id."""
        return int(
            run_in_django(
                """
                from shared_apps.billing.models import Plan
                from tests.shared_apps.billing.webhook_support import committed_plan_prices
                committed_plan_prices(slug=slug, monthly=monthly, yearly=yearly)
                print(Plan.objects.get(slug=slug).pk)
                """,
                slug=self.pool.prefix,
                monthly=self.monthly,
                yearly=self.yearly,
            )
        )

    def grace_advance(self) -> None:
        """The grace scheduler at Stripe's current time (committed, this company only)."""
        run_in_django(
            """
            from tests.shared_apps.billing.webhook_support import committed_grace_advance
            committed_grace_advance(company_id=company_id, at=at)
            print("null")
            """,
            company_id=self.company.pk,
            at=self.fake.now,
        )


def _world(fake: FakeStripe, server: AppServer, pool: Pool) -> World:
    made = pool.companies.pop()
    company = Company(pk=made["id"], billing_email=made["email"])
    # Stripe's clock (reset when the test began) after the company's creation: events older
    # than the company's last move are ignored as out of order.
    fake.advance_clock(to=int(time.time()) + 1)
    return World(fake, server, pool, company, *prices_create(fake))


@pytest.fixture
def world(server: AppServer, pool: Pool, djstripe_fake: FakeStripe) -> World:
    return _world(djstripe_fake, server, pool)


def _mail_to(mail_dir: Path, address: str) -> str:
    """The text of every email the server wrote to `address`."""
    texts = []
    for path in sorted(mail_dir.glob("*")):
        for raw in path.read_text().split("-" * 79):
            message = email.message_from_string(raw.strip())
            if address not in str(message.get("To", "")):
                continue
            for part in message.walk():
                payload = part.get_payload(decode=True)
                if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
                    texts.append(payload.decode())
    return "\n".join(texts)


# --- the scenarios -------------------------------------------------------------------------------


def test_subscribe(world: World) -> None:
    plan_id = world.plan_prices_set()
    _, sub_id = subscribe(world.fake, world.company, world.yearly)
    sent = world.deliver_pending()
    assert "customer.subscription.created" in [d.event_type for d in sent]
    assert world.state() == State.ACTIVE
    assert world.saved().plan_id == plan_id
    assert world.moves() == [(State.ACTIVE, "webhook")]
    assert dj.Subscription.objects.get(id=sub_id).customer.subscriber_id == world.company.pk


def test_renew(world: World) -> None:
    _, sub_id = subscribe(world.fake, world.company, world.monthly)
    world.deliver_pending()
    events = world.fake.renew(sub_id)
    assert "invoice.paid" in [e["type"] for e in events]
    world.deliver_pending()
    assert world.state() == State.ACTIVE
    assert world.moves() == [(State.ACTIVE, "webhook")]
    paid = dj.Invoice.objects.filter(subscription__id=sub_id, stripe_data__status="paid")
    assert paid.count() == 2


def test_payment_failed_grace_read_only_suspended_then_paid(world: World, mail_dir: Path) -> None:
    fake = world.fake
    fake.store.after_failed_retries = "past_due"
    customer, sub_id = subscribe(fake, world.company, world.monthly)
    world.deliver_pending()
    fake.fail_all_payments(customer)
    fake.renew(sub_id)
    world.deliver_pending()
    assert world.state() == State.PAST_DUE
    invoice = fake.get(fake.get(sub_id)["latest_invoice"])
    owner_mail = _mail_to(mail_dir, world.company.billing_email)
    assert invoice["hosted_invoice_url"] in owner_mail  # the payment-failed email's link

    fake.advance_clock(days=8)  # Stripe's retries fail too
    world.deliver_pending()
    world.grace_advance()
    assert world.state() == State.READ_ONLY
    fake.advance_clock(days=15)
    world.deliver_pending()
    assert world.state() == State.READ_ONLY
    world.grace_advance()
    assert world.state() == State.SUSPENDED

    fake.clear_payment_failures(customer)
    fake.pay_invoice(invoice["id"])
    world.deliver_pending()
    assert world.state() == State.ACTIVE
    assert world.moves() == [
        (State.ACTIVE, "webhook"),
        (State.PAST_DUE, "webhook"),
        (State.READ_ONLY, "schedule"),
        (State.SUSPENDED, "schedule"),
        (State.ACTIVE, "webhook"),
    ]


def test_card_requires_action(world: World, mail_dir: Path) -> None:
    customer, sub_id = subscribe(world.fake, world.company, world.monthly)
    world.deliver_pending()
    world.fake.require_action(customer)
    world.fake.renew(sub_id)
    sent = world.deliver_pending()
    assert "invoice.payment_action_required" in [d.event_type for d in sent]
    event = world.fake.events("invoice.payment_action_required")[0]
    assert dj.Event.objects.filter(id=event["id"]).exists()
    link = event["data"]["object"]["hosted_invoice_url"]
    assert link in _mail_to(mail_dir, world.company.billing_email)
    assert world.state() in (State.ACTIVE, State.PAST_DUE)


def test_cancel(world: World) -> None:
    _, sub_id = subscribe(world.fake, world.company, world.monthly)
    world.deliver_pending()
    stripe.Subscription.cancel(sub_id)
    sent = world.deliver_pending()
    assert "customer.subscription.deleted" in [d.event_type for d in sent]
    assert world.state() == State.CANCELED
    assert world.moves() == [(State.ACTIVE, "webhook"), (State.CANCELED, "webhook")]


def test_duplicate_delivery(world: World) -> None:
    subscribe(world.fake, world.company, world.monthly)
    world.deliver_pending()
    created = world.fake.events("customer.subscription.created")[0]
    again = world.deliver(created)
    assert again.ok
    assert dj.Event.objects.filter(id=created["id"]).count() == 1
    assert dj.WebhookEventTrigger.objects.filter(event__id=created["id"]).count() == 2
    assert world.moves() == [(State.ACTIVE, "webhook")]


def test_concurrent_duplicate_delivery(world: World) -> None:
    subscribe(world.fake, world.company, world.monthly)
    created = world.fake.events("customer.subscription.created")[0]
    copies = 4
    barrier = threading.Barrier(copies)
    results: list[Delivery] = []

    def send() -> None:
        barrier.wait()
        results.append(world.deliver(created))

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(d.status for d in results) == [200] * copies
    assert dj.Event.objects.filter(id=created["id"]).count() == 1
    triggers = dj.WebhookEventTrigger.objects.filter(event__id=created["id"])
    assert triggers.count() == copies
    assert world.moves() == [(State.ACTIVE, "webhook")]
    world.deliver_pending()  # the rest, in order: nothing more to move
    assert world.moves() == [(State.ACTIVE, "webhook")]


def test_out_of_order(world: World) -> None:
    fake = world.fake
    customer, sub_id = subscribe(fake, world.company, world.monthly)
    world.deliver_pending()
    mark = fake.mark()
    fake.fail_next_payment(customer)
    fake.renew(sub_id)
    failed = wanted(fake.events(since=mark))
    fake.pay_invoice(fake.get(sub_id)["latest_invoice"])
    paid = wanted(fake.events(since=mark))[len(failed) :]
    assert "invoice.payment_failed" in [e["type"] for e in failed]
    assert "invoice.paid" in [e["type"] for e in paid]
    for event in [*paid, *failed]:  # the newer facts first
        assert world.deliver(event).ok
    assert world.state() == State.ACTIVE
    assert world.moves() == [(State.ACTIVE, "webhook")]


def test_bad_signature(world: World) -> None:
    subscribe(world.fake, world.company, world.monthly)
    created = world.fake.events("customer.subscription.created")[0]
    for delivery in (
        world.fake.deliver(created, world.url, "whsec_wrong"),
        world.deliver(created, signature="t=1,v1=deadbeef"),
        world.deliver(created, omit_signature=True),
        world.deliver(b"{not json"),
    ):
        assert delivery.status == 400, delivery.body
    assert world.events_stored(created["id"]) == 0
    assert world.state() == State.TRIALING
    assert world.moves() == []


def test_old_timestamp(world: World) -> None:
    subscribe(world.fake, world.company, world.monthly)
    created = world.fake.events("customer.subscription.created")[0]
    stale = world.deliver(created, timestamp=int(time.time()) - 301)
    assert (stale.status, '"payload_invalid"' in stale.body) == (400, True)
    assert world.state() == State.TRIALING
    assert world.deliver(created, timestamp=int(time.time()) - 200).ok
    assert world.state() == State.ACTIVE


def test_stripe_down_then_retry(world: World) -> None:
    subscribe(world.fake, world.company, world.monthly)
    created = world.fake.events("customer.subscription.created")[0]
    world.fake.set_down(True)
    down = world.deliver(created)
    assert (down.status, '"stripe_unavailable"' in down.body) == (503, True)
    assert world.events_stored(created["id"]) == 0
    assert world.state() == State.TRIALING
    world.fake.set_down(False)
    assert world.deliver(created).ok  # Stripe's retry
    assert world.deliver(created).ok  # and a duplicate of it
    assert world.state() == State.ACTIVE
    assert world.moves() == [(State.ACTIVE, "webhook")]
    assert dj.Event.objects.filter(id=created["id"]).count() == 1


# --- the forged DEBUG header, on a server running with DEBUG on --------------------------------


@pytest.fixture
def debug_server(djstripe_fake: FakeStripe, tmp_path: Path, mail_dir: Path) -> Iterator[AppServer]:
    (tmp_path / "webhook_debug_settings.py").write_text(
        "from saas.settings.test import *  # noqa: F403\nDEBUG = True\n"
    )
    env = _server_env(djstripe_fake, mail_dir)
    env.update(DJANGO_SETTINGS_MODULE="webhook_debug_settings", PYTHONPATH=f"{ROOT}:{tmp_path}")
    with app_server(**env) as running:
        yield running


@pytest.fixture
def debug_world(debug_server: AppServer, pool: Pool, djstripe_fake: FakeStripe) -> World:
    return _world(djstripe_fake, debug_server, pool)


def test_forged_debug_header(debug_world: World) -> None:
    # The server runs with DEBUG on (Django's technical 404 page says so).
    missing = requests.get(debug_world.server.url("localhost", "/no-such-page/"), timeout=10)
    assert (missing.status_code, "URLconf" in missing.text) == (404, True)
    subscribe(debug_world.fake, debug_world.company, debug_world.monthly)
    created = debug_world.fake.events("customer.subscription.created")[0]
    forged = debug_world.fake.deliver(
        created,
        debug_world.url,
        ATTACKER_SECRET,
        headers={"X-Djstripe-Webhook-Secret": ATTACKER_SECRET},
    )
    assert (forged.status, '"payload_invalid"' in forged.body) == (400, True)
    assert debug_world.state() == State.TRIALING
    trigger = dj.WebhookEventTrigger.objects.latest("pk")
    assert created["id"] in trigger.body
    assert "x-djstripe-webhook-secret" not in {name.lower() for name in trigger.headers}
    # The same server accepts the event signed with the endpoint's own secret.
    assert debug_world.deliver(created).ok
    assert debug_world.state() == State.ACTIVE
