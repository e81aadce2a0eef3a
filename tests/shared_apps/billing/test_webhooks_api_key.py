"""Signed webhooks while our Stripe API key is missing, malformed or rejected by Stripe:
503 (Stripe retries the delivery), nothing applied, one error line that names no key, and
the retry applies the event once the key is fixed."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import stripe
from django.test import Client
from djstripe import models as dj

from shared_apps.billing.models import BillingStateChange
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.webhook_support import (
    endpoint_create,
    plan_with_prices,
    post,
    subscribe,
)
from tests.stripe_fake import FakeStripe
from tests.stripe_fake.fake import TEST_API_KEY

State = Company.BillingState


def _key_set(settings: Any, monkeypatch: pytest.MonkeyPatch, key: str, *, stored: bool) -> None:
    """The key dj-stripe uses for the endpoint's account: the one stored at set-up (APIKey)
    if `stored`, else the settings' key (the stored one deleted). The `stripe` library's
    global key, which the fake sets for other tests, is unset as in production."""
    monkeypatch.setattr(stripe, "api_key", None)
    settings.STRIPE_TEST_SECRET_KEY = key
    if stored:
        dj.APIKey.objects.update(secret=key)
    else:
        dj.APIKey.objects.all().delete()


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("", False),  # missing: dj-stripe raises InvalidStripeAPIKey
        ("not-a-stripe-key", False),  # malformed: InvalidStripeAPIKey too
        ("sk_live_RevokedOrFromAnotherAccount000", True),  # rolled: Stripe answers 401
        ("sk_live_RevokedOrFromAnotherAccount000", False),
    ],
)
def test_an_unusable_key_is_503_logged_once_and_the_retry_applies(
    djstripe_fake: FakeStripe,
    alpha: Company,
    public_client: Client,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    key: str,
    stored: bool,
) -> None:
    # given alpha subscribed in Stripe and the endpoint set up with a good key
    endpoint = endpoint_create()
    _, monthly, _ = plan_with_prices(djstripe_fake)
    subscribe(djstripe_fake, alpha, monthly)
    event = djstripe_fake.events("customer.subscription.created")[0]
    # when the key is lost or rolled and Stripe delivers a signed event
    _key_set(settings, monkeypatch, key, stored=stored)
    with caplog.at_level(logging.INFO):
        response = post(public_client, endpoint, event)
    # then Stripe is asked to retry and nothing is applied
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_unavailable"
    alpha.refresh_from_db()
    assert alpha.billing_state == State.TRIALING
    assert not dj.Subscription.objects.exists()
    assert not BillingStateChange.objects.filter(company=alpha).exists()
    # and one error line says why, without the key (besides the request's own access line;
    # Django's "Service Unavailable" report is not added)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name != "saas.request"]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "API key" in errors[0].getMessage()
    if key:
        assert key not in caplog.text
    # when the key is fixed, Stripe's retry applies the event once
    _key_set(settings, monkeypatch, TEST_API_KEY, stored=stored)
    assert post(public_client, endpoint, event).status_code == 200
    alpha.refresh_from_db()
    assert alpha.billing_state == State.ACTIVE
    assert BillingStateChange.objects.filter(company=alpha).count() == 1
