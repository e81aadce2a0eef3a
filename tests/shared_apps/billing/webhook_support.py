"""Shared set-up for the webhook, receiver and reconcile tests: a company subscribed in the
fake Stripe, webhook deliveries in-process (Django's test client) and over real HTTP, and
committed data for a server process."""

from __future__ import annotations

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
    monthly, yearly = prices_create(fake)
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


# --- committed data, for a server process ----------------------------------------------------
# These run in another process (tests/processes.py run_python): the server sees committed rows
# only, and the test's own transaction must not hold them.


def djstripe_rows_delete() -> None:
    """Delete every row dj-stripe stored (DELETE, not TRUNCATE: a test's open transaction that
    read these tables would block a TRUNCATE until it ends)."""
    models = list(apps.get_app_config("djstripe").get_models(include_auto_created=True))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in models:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def prices_create(fake: FakeStripe) -> tuple[str, str]:
    """A monthly and a yearly price of one product in the fake: (monthly, yearly)."""
    product = fake.create_price(PRO_MONTHLY_CENTS, name="Pro")["product"]
    monthly = fake.create_price(PRO_MONTHLY_CENTS, product=product)["id"]
    yearly = fake.create_price(PRO_MONTHLY_CENTS * 10, product=product, interval="year")["id"]
    return str(monthly), str(yearly)


def committed_pool_create(*, prefix: str, count: int, base_url: str) -> dict[str, Any]:
    """`count` companies (subdomains "<prefix>-<n>"), a plan without prices (slug `prefix`)
    and the webhook endpoint (created in the fake Stripe: STRIPE_API_HOST points at it), all
    committed."""
    from shared_apps.tenants.services import company_provision

    companies = []
    for n in range(count):
        subdomain = f"{prefix}-{n}"
        company = company_provision(
            name=subdomain.title(), subdomain=subdomain, owner_email=f"owner@{subdomain}.test"
        )
        companies.append({"id": company.pk, "email": company.billing_email})
    make_plan(slug=prefix)
    endpoint = endpoint_create(base_url)
    return {"companies": companies, "path": webhook_path(endpoint), "secret": endpoint.secret}


def committed_plan_prices(*, slug: str, monthly: str, yearly: str) -> None:
    Plan.objects.filter(slug=slug).update(stripe_price_monthly=monthly, stripe_price_yearly=yearly)


def committed_pool_remove(*, prefix: str) -> None:
    """Remove what committed_pool_create and the server stored."""
    from django.db import transaction

    from shared_apps.accounts.models import User
    from shared_apps.audit.models import PlatformEvent
    from shared_apps.tenants.services import company_delete

    with transaction.atomic():
        djstripe_rows_delete()
    for company in Company.objects.filter(subdomain__startswith=f"{prefix}-"):
        company_id = company.pk  # delete() clears it
        company_delete(company=company)
        PlatformEvent.objects.filter(company_id=company_id).delete()
    PlatformEvent.objects.filter(action="billing.webhook_endpoint_created").delete()
    owners = User.objects.filter(email__startswith=f"owner@{prefix}-")
    PlatformEvent.objects.filter(
        target_type="accounts.user",
        target_id__in=[str(pk) for pk in owners.values_list("pk", flat=True)],
    ).delete()
    owners.delete()
    Plan.objects.filter(slug=prefix).delete()


def committed_grace_advance(*, company_id: int, at: int) -> None:
    """The grace scheduler at Stripe time `at`, for this company only: the session's
    companies (whose trials end in 14 days) must not move in the committed database."""
    from shared_apps.billing import services

    due = services.billing_due_moves
    services.billing_due_moves = lambda now: [
        move for move in due(now) if move.company.pk == company_id
    ]
    services.billing_grace_advance(now=datetime.fromtimestamp(at, tz=UTC))
