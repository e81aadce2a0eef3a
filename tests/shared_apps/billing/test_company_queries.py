"""The billing page costs a fixed number of queries, whatever the number of invoices and
plans."""

from __future__ import annotations

import pytest
import stripe
from django.test import Client
from djstripe import models as dj

from shared_apps.tenants.models import Company
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.shared_apps.billing.company_support import owner_client, priced_plans, subscribe
from tests.shared_apps.billing.factories import make_plan
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db

# The company switcher, then the page's: plans and customer, then the live subscription and
# the invoices once there is a customer. Measured; a change needs a reason.
PAGE_QUERIES_SUBSCRIBED = PAGE_BASELINE + 5
PAGE_QUERIES_NEW = PAGE_BASELINE + 3


def queries(client: Client) -> int:
    client.get("/billing/")  # warm per-process caches (routing, content types)
    with page_queries() as ctx:
        assert client.get("/billing/").status_code == 200
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_invoices_or_plans(
    djstripe_fake: FakeStripe,
    alpha: Company,
    django_assert_num_queries: pytest.FixtureRequest,
) -> None:
    plans = priced_plans(djstripe_fake)
    client = owner_client(alpha)
    sub_id = subscribe(client, djstripe_fake, plans.basic)
    customer = dj.Customer.objects.get(subscriber=alpha)
    one = queries(client)
    for _ in range(3):
        djstripe_fake.renew(sub_id)
    customer._sync_invoices(api_key=stripe.api_key)
    assert dj.Invoice.objects.filter(customer=customer).count() == 4
    for n in range(5):
        make_plan(slug=f"t-more-{n}")
    assert queries(client) == one
    with page_queries(PAGE_QUERIES_SUBSCRIBED):
        client.get("/billing/")


def test_queries_without_a_subscription(
    djstripe_fake: FakeStripe,
    alpha: Company,
    django_assert_num_queries: pytest.FixtureRequest,
) -> None:
    priced_plans(djstripe_fake)
    client = owner_client(alpha)
    client.get("/billing/")
    with page_queries(PAGE_QUERIES_NEW):
        client.get("/billing/")
