"""The webhook endpoint in-process: bad input, duplicates, the forged DEBUG header, Stripe
down, pruning of invalid deliveries and the set-up command."""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from djstripe import models as dj
from djstripe.views import ProcessWebhookView

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import BillingStateChange
from shared_apps.billing.reconcile import webhook_triggers_prune
from shared_apps.billing.stripe_sync import ENABLED_EVENTS
from shared_apps.billing.tasks import webhook_events_prune
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.shared_apps.billing.webhook_support import (
    endpoint_create,
    plan_with_prices,
    post,
    post_all,
    subscribe,
    webhook_path,
)
from tests.stripe_fake import FakeStripe, django_post_kwargs

State = Company.BillingState
ATTACKER_SECRET = "whsec_attacker_chosen_secret"


@pytest.fixture
def endpoint(djstripe_fake: FakeStripe, db: None) -> dj.WebhookEndpoint:
    return endpoint_create()


@pytest.fixture
def subscribed(
    djstripe_fake: FakeStripe, alpha: Company, endpoint: dj.WebhookEndpoint
) -> tuple[str, str]:
    """alpha subscribed in Stripe, none of its events delivered yet."""
    _, monthly, _ = plan_with_prices(djstripe_fake)
    return subscribe(djstripe_fake, alpha, monthly)


def _created(fake: FakeStripe) -> dict[str, Any]:
    return fake.events("customer.subscription.created")[0]


def _error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


def _nothing_applied(company: Company) -> None:
    assert not dj.Event.objects.exists()
    assert not dj.Subscription.objects.exists()
    company.refresh_from_db()
    assert company.billing_state == State.TRIALING
    assert not BillingStateChange.objects.filter(company=company).exists()


# --- good deliveries, duplicates ---------------------------------------------------------------


def test_a_signed_event_is_processed_and_answered_200(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
) -> None:
    response = post(public_client, endpoint, _created(djstripe_fake))
    assert response.status_code == 200
    trigger = dj.WebhookEventTrigger.objects.get(pk=response.json()["delivery"])
    assert (trigger.valid, trigger.processed, trigger.event_id) == (
        True,
        True,
        _created(djstripe_fake)["id"],
    )
    alpha.refresh_from_db()
    assert alpha.billing_state == State.ACTIVE


def test_a_duplicate_delivery_changes_nothing_more(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
) -> None:
    event = _created(djstripe_fake)
    assert post(public_client, endpoint, event).status_code == 200
    assert post(public_client, endpoint, event).status_code == 200
    assert dj.Event.objects.filter(id=event["id"]).count() == 1
    assert dj.WebhookEventTrigger.objects.filter(event__id=event["id"]).count() == 2
    assert BillingStateChange.objects.filter(company=alpha).count() == 1
    assert (
        PlatformEvent.objects.filter(company_id=alpha.pk, action="billing.state_moved").count() == 1
    )


def test_unknown_event_types_are_accepted_and_ignored(
    djstripe_fake: FakeStripe, alpha: Company, endpoint: dj.WebhookEndpoint, public_client: Client
) -> None:
    event = {
        "id": "evt_UnknownType000000000001",
        "object": "event",
        "api_version": "2026-05-27.dahlia",
        "created": int(time.time()),
        "data": {"object": {"id": "thing_1", "object": "thing"}},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "thing.happened",
    }
    response = post(public_client, endpoint, event)
    assert response.status_code == 200
    assert dj.Event.objects.get().type == "thing.happened"
    alpha.refresh_from_db()
    assert alpha.billing_state == State.TRIALING


# --- bad input: 4xx, nothing changed, logged -----------------------------------------------------


def test_missing_signature_is_400_and_not_stored(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kwargs = django_post_kwargs(_created(djstripe_fake), endpoint.secret)
    del kwargs["headers"]
    with caplog.at_level(logging.WARNING):
        response = public_client.post(webhook_path(endpoint), **kwargs)
    assert (response.status_code, _error_code(response)) == (400, "signature_missing")
    assert not dj.WebhookEventTrigger.objects.exists()
    assert "no Stripe-Signature" in caplog.text
    _nothing_applied(alpha)


@pytest.mark.parametrize(
    "options",
    [
        {"secret": "whsec_wrong"},
        {"signature": "t=1,v1=deadbeef"},
        {"signature": "garbage"},
        {"timestamp": int(time.time()) - 301},  # older than the 300 s tolerance
        {"timestamp": int(time.time()) - 86400},
    ],
    ids=["wrong-secret", "wrong-signature", "unparsable-header", "too-old", "a-day-old"],
)
def test_bad_signatures_are_400_stored_as_invalid_and_apply_nothing(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
) -> None:
    with caplog.at_level(logging.WARNING):
        response = post(public_client, endpoint, _created(djstripe_fake), **options)
    assert (response.status_code, _error_code(response)) == (400, "payload_invalid")
    assert dj.WebhookEventTrigger.objects.get().valid is False
    assert "did not verify" in caplog.text
    _nothing_applied(alpha)


def test_a_signature_within_the_tolerance_is_accepted(
    djstripe_fake: FakeStripe,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
) -> None:
    assert endpoint.djstripe_tolerance == 300
    response = post(
        public_client, endpoint, _created(djstripe_fake), timestamp=int(time.time()) - 240
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[]", json.dumps({"object": "event"}).encode()],
    ids=["broken", "empty", "list", "no-id"],
)
def test_malformed_bodies_are_400(
    alpha: Company, endpoint: dj.WebhookEndpoint, public_client: Client, body: bytes
) -> None:
    response = post(public_client, endpoint, body)
    assert (response.status_code, _error_code(response)) == (400, "payload_invalid")
    _nothing_applied(alpha)


def test_an_unknown_endpoint_is_404(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kwargs = django_post_kwargs(_created(djstripe_fake), endpoint.secret)
    with caplog.at_level(logging.WARNING):
        response = public_client.post(f"/stripe/webhook/{uuid.uuid4()}/", **kwargs)
    assert (response.status_code, _error_code(response)) == (404, "endpoint_unknown")
    assert "unknown endpoint" in caplog.text
    assert not dj.WebhookEventTrigger.objects.exists()
    _nothing_applied(alpha)


def test_an_event_of_a_customer_no_company_owns_is_400_and_rolled_back(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    public_client: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, monthly, _ = plan_with_prices(djstripe_fake)
    stranger = djstripe_fake.create_customer("stranger@example.test")  # no djstripe_subscriber
    djstripe_fake.add_payment_method(stranger["id"])
    djstripe_fake.create_subscription(stranger["id"], monthly)
    with caplog.at_level(logging.WARNING):
        response = post(public_client, endpoint, _created(djstripe_fake))
    assert (response.status_code, _error_code(response)) == (400, "customer_unknown")
    assert stranger["id"] in caplog.text
    # dj-stripe's transaction rolled back: no event (so Stripe's retry is processed anew),
    # no synced subscription or customer; the delivery is kept with the error.
    assert not dj.Event.objects.exists()
    assert not dj.Subscription.objects.exists()
    assert not dj.Customer.objects.exists()
    trigger = dj.WebhookEventTrigger.objects.get()
    assert (trigger.valid, trigger.processed) == (True, False)
    assert "no company owns" in trigger.exception
    _nothing_applied(alpha)


def test_the_webhook_is_not_served_on_a_company_host(
    djstripe_fake: FakeStripe, alpha: Company, endpoint: dj.WebhookEndpoint
) -> None:
    with pytest.raises(Resolver404):
        resolve(webhook_path(endpoint), urlconf="saas.urls_tenant")
    response = post(host_client("alpha.localhost"), endpoint, {"id": "evt_1", "livemode": False})
    assert response.status_code in (302, 404)  # to sign-in (no member), never processed
    assert not dj.WebhookEventTrigger.objects.exists()


def test_get_is_405(endpoint: dj.WebhookEndpoint, public_client: Client) -> None:
    assert public_client.get(webhook_path(endpoint)).status_code == 405


# --- the forged DEBUG header ------------------------------------------------------------------


def test_forged_debug_header_is_never_honoured_even_with_debug_on(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
    settings: Any,
) -> None:
    settings.DEBUG = True
    # An attacker signs an event with a secret of their choosing and names it in the header
    # dj-stripe trusts under DEBUG.
    response = post(
        public_client,
        endpoint,
        _created(djstripe_fake),
        secret=ATTACKER_SECRET,
        headers={"X-Djstripe-Webhook-Secret": ATTACKER_SECRET},
    )
    assert (response.status_code, _error_code(response)) == (400, "payload_invalid")
    trigger = dj.WebhookEventTrigger.objects.get()
    assert trigger.valid is False
    assert not {h.lower() for h in trigger.headers} & {"x-djstripe-webhook-secret"}
    _nothing_applied(alpha)


def test_djstripes_own_view_would_have_honoured_it(
    djstripe_fake: FakeStripe,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    settings: Any,
) -> None:
    """Why our view exists: the same forged request passes dj-stripe's view under DEBUG."""
    settings.DEBUG = True
    kwargs = django_post_kwargs(_created(djstripe_fake), ATTACKER_SECRET)
    request = RequestFactory().post(
        "/",
        data=kwargs["data"],
        content_type=kwargs["content_type"],
        headers={**kwargs["headers"], "X-Djstripe-Webhook-Secret": ATTACKER_SECRET},
    )
    response = ProcessWebhookView.as_view()(request, uuid=endpoint.djstripe_uuid)
    assert response.status_code == 200


# --- Stripe down --------------------------------------------------------------------------------


def test_stripe_down_is_503_then_the_retry_applies_once(
    djstripe_fake: FakeStripe,
    alpha: Company,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
) -> None:
    event = _created(djstripe_fake)
    djstripe_fake.set_down(True)
    response = post(public_client, endpoint, event)
    assert (response.status_code, _error_code(response)) == (503, "stripe_unavailable")
    _nothing_applied(alpha)
    djstripe_fake.set_down(False)
    assert post(public_client, endpoint, event).status_code == 200
    assert post(public_client, endpoint, event).status_code == 200
    alpha.refresh_from_db()
    assert alpha.billing_state == State.ACTIVE
    assert BillingStateChange.objects.filter(company=alpha).count() == 1
    assert list(
        dj.WebhookEventTrigger.objects.order_by("pk").values_list("processed", flat=True)
    ) == [
        False,
        True,
        True,
    ]


# --- pruning invalid deliveries -------------------------------------------------------------------


def test_invalid_deliveries_older_than_a_day_are_pruned(
    djstripe_fake: FakeStripe,
    endpoint: dj.WebhookEndpoint,
    subscribed: tuple[str, str],
    public_client: Client,
) -> None:
    post(public_client, endpoint, _created(djstripe_fake), secret="whsec_wrong")
    post(public_client, endpoint, b"{not json")
    post_all(public_client, endpoint, [_created(djstripe_fake)])
    old, recent = timezone.now() - timedelta(hours=25), timezone.now() - timedelta(hours=23)
    invalid = list(dj.WebhookEventTrigger.objects.filter(valid=False).order_by("pk"))
    dj.WebhookEventTrigger.objects.filter(pk=invalid[0].pk).update(created=old)
    dj.WebhookEventTrigger.objects.filter(pk=invalid[1].pk).update(created=recent)
    dj.WebhookEventTrigger.objects.filter(valid=True).update(created=old)

    assert webhook_events_prune.apply().get() == 1
    left = dj.WebhookEventTrigger.objects.all()
    assert sorted(t.pk for t in left) == sorted(
        [invalid[1].pk, dj.WebhookEventTrigger.objects.get(valid=True).pk]
    )
    assert webhook_triggers_prune(now=timezone.now() + timedelta(hours=2)) == 1
    assert not dj.WebhookEventTrigger.objects.filter(valid=False).exists()
    assert dj.WebhookEventTrigger.objects.filter(valid=True).count() == 1


# --- the set-up command ------------------------------------------------------------------------


def test_setup_command_creates_the_endpoint_in_stripe_with_its_secret(
    djstripe_fake: FakeStripe, db: None
) -> None:
    out = StringIO()
    call_command("billing_webhook_setup", "--url", "https://crm.example.com", stdout=out)
    endpoint = dj.WebhookEndpoint.objects.get()
    remote = djstripe_fake.objects("webhook_endpoint")[0]
    assert endpoint.id == remote["id"]
    assert (
        endpoint.url
        == remote["url"]
        == (f"https://crm.example.com/stripe/webhook/{endpoint.djstripe_uuid}/")
    )
    assert endpoint.secret == djstripe_fake.store.objects[remote["id"]]["_secret"]
    assert set(remote["enabled_events"]) == set(ENABLED_EVENTS)
    assert endpoint.djstripe_tolerance == 300
    assert f"Created webhook endpoint {endpoint.id}" in out.getvalue()
    assert PlatformEvent.objects.filter(action="billing.webhook_endpoint_created").count() == 1

    again = StringIO()
    call_command("billing_webhook_setup", "--url", "https://crm.example.com/", stdout=again)
    assert "already exists" in again.getvalue()
    assert len(djstripe_fake.objects("webhook_endpoint")) == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://crm.example.com", "https"),
        ("https://crm.example.com/hooks/", "without a path"),
        ("crm.example.com", "public host"),
        ("ftp://crm.example.com", "public host"),
    ],
)
def test_setup_command_refuses_bad_addresses(
    djstripe_fake: FakeStripe, db: None, url: str, message: str
) -> None:
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("billing_webhook_setup", "--url", url)
    assert not dj.WebhookEndpoint.objects.exists()
    assert djstripe_fake.objects("webhook_endpoint") == []


def test_setup_command_reports_stripe_errors_and_keeps_nothing(
    djstripe_fake: FakeStripe, db: None
) -> None:
    djstripe_fake.set_down(True)
    with pytest.raises(CommandError, match="nothing was created"):
        call_command("billing_webhook_setup", "--url", "https://crm.example.com")
    assert not dj.WebhookEndpoint.objects.exists()
