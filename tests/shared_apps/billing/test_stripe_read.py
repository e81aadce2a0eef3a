"""The company's customer, subscription and period, read from what dj-stripe synced."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe
from djstripe import models as dj

from shared_apps.billing.stripe_read import (
    company_customer,
    company_subscription,
    subscription_period_end,
    subscription_period_start,
)
from shared_apps.tenants.models import Company
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


def subscribe(fake: FakeStripe, company: Company) -> dj.Subscription:
    customer = stripe.Customer.create(
        email=company.billing_email, metadata={"djstripe_subscriber": str(company.pk)}
    )
    dj.Customer.sync_from_stripe_data(stripe.Customer.retrieve(customer.id))
    price = fake.create_price(1900, name="Starter")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price["id"], "quantity": 1}],
        success_url="http://localhost/ok",
    )
    sub_id = fake.complete_checkout(session.id)["subscription"]
    return dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))


def test_company_subscription_and_period_from_items(
    djstripe_fake: FakeStripe, alpha: Company, beta: Company
) -> None:
    assert company_customer(company=alpha) is None
    assert company_subscription(company=alpha) is None
    synced = subscribe(djstripe_fake, alpha)

    assert company_customer(company=alpha) == synced.customer
    assert company_subscription(company=alpha) == synced
    assert company_subscription(company=beta) is None
    item = synced.stripe_data["items"]["data"][0]
    assert subscription_period_end(synced) == datetime.fromtimestamp(
        item["current_period_end"], tz=UTC
    )
    assert subscription_period_start(synced) == datetime.fromtimestamp(
        item["current_period_start"], tz=UTC
    )
    end = subscription_period_end(synced)
    assert end is not None
    assert end > datetime.fromtimestamp(djstripe_fake.now, tz=UTC)
