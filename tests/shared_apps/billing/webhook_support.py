"""Shared set-up for the webhook, receiver and reconcile tests: a company subscribed in the
fake Stripe, webhook deliveries in-process (Django's test client) and over real HTTP, and
committed data for a server process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection
from django.test import Client
from djstripe import models as dj

from shared_apps.billing.models import Plan
from shared_apps.billing.stripe_sync import ENABLED_EVENTS
from shared_apps.billing.webhooks import webhook_endpoint_create
from shared_apps.tenants.models import Company
from tests.shared_apps.billing.factories import make_plan
from tests.stripe_fake import FakeStripe, django_post_kwargs

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

PRO_MONTHLY_CENTS = 2900
Event = dict[str, Any]


def webhook_path(endpoint: dj.WebhookEndpoint) -> str:
    return f"/stripe/webhook/{endpoint.djstripe_uuid}/"


def endpoint_create(base_url: str = "http://localhost") -> dj.WebhookEndpoint:
    """The endpoint created in the fake Stripe through our service (its secret kept)."""
    endpoint, created = webhook_endpoint_create(base_url=base_url)
    assert created
    assert endpoint.secret.startswith("whsec_")
    return endpoint


def plan_with_prices(fake: FakeStripe, *, slug: str = "pro-test") -> tuple[Plan, str, str]:
    """A plan whose monthly and yearly prices exist in the fake: (plan, monthly, yearly)."""
    product = fake.create_price(PRO_MONTHLY_CENTS, name="Pro")["product"]
    monthly = fake.create_price(PRO_MONTHLY_CENTS, product=product)["id"]
    yearly = fake.create_price(PRO_MONTHLY_CENTS * 10, product=product, interval="year")["id"]
    plan = make_plan(slug=slug, stripe_price_monthly=monthly, stripe_price_yearly=yearly)
    return plan, monthly, yearly


def customer_for(fake: FakeStripe, company: Company) -> str:
    """A Stripe customer linked to `company` as dj-stripe links them (metadata), with a card."""
    customer = fake.create_customer(
        company.billing_email, metadata={"djstripe_subscriber": str(company.pk)}
    )
    fake.add_payment_method(customer["id"])
    return str(customer["id"])


def subscribe(fake: FakeStripe, company: Company, price: str, **params: Any) -> tuple[str, str]:
    """(customer id, subscription id): `company` subscribed to `price`, first invoice paid."""
    customer = customer_for(fake, company)
    return customer, str(fake.create_subscription(customer, price, **params)["id"])


def wanted(events: list[Event]) -> list[Event]:
    """The events the endpoint subscribes to, as Stripe would send them."""
    return [e for e in events if e["type"] in ENABLED_EVENTS]


def post(
    client: Client, endpoint: dj.WebhookEndpoint, event: Event | str | bytes, **options: Any
) -> Response:
    """One signed delivery through Django's test client (public host)."""
    secret = options.pop("secret", endpoint.secret)
    headers = options.pop("headers", {})
    kwargs = django_post_kwargs(event, secret, **options)
    kwargs["headers"] = {**kwargs["headers"], **headers}
    return client.post(webhook_path(endpoint), **kwargs)


def post_all(client: Client, endpoint: dj.WebhookEndpoint, events: list[Event]) -> None:
    for event in wanted(events):
        response = post(client, endpoint, event)
        assert response.status_code == 200, (event["type"], response.content)


def stripe_time(fake: FakeStripe) -> datetime:
    return datetime.fromtimestamp(fake.now, tz=UTC)


# --- committed data, for a server process ---------------------------------------------------


def djstripe_tables_clear() -> None:
    """Empty dj-stripe's tables (committed: a server process wrote them)."""
    models = apps.get_app_config("djstripe").get_models(include_auto_created=True)
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")


@contextmanager
def committed_company(subdomain: str) -> Iterator[Company]:
    """A company provisioned and committed (call with database access and no transaction
    open), removed afterwards with everything billing recorded for it."""
    from shared_apps.accounts.models import User
    from shared_apps.audit.models import PlatformEvent
    from shared_apps.tenants.services import company_delete, company_provision

    owner = f"owner@{subdomain}.test"
    company = company_provision(name=subdomain.title(), subdomain=subdomain, owner_email=owner)
    try:
        yield company
    finally:
        djstripe_tables_clear()
        company_delete(company=company)
        PlatformEvent.objects.filter(company_id=company.pk).delete()
        PlatformEvent.objects.filter(action="billing.webhook_endpoint_created").delete()
        User.objects.filter(email=owner).delete()
