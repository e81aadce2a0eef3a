"""Helpers for the company billing page tests: plans priced in the fake Stripe, clients by
role, and a subscription made through the page itself."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.shared_apps.billing.factories import make_plan
from tests.stripe_fake import FakeStripe


@dataclass
class Plans:
    basic: Plan
    pro: Plan


def priced_plans(fake: FakeStripe) -> Plans:
    """Two public plans with monthly and yearly prices in the fake Stripe."""
    basic_monthly = fake.create_price(1000, name="Basic")
    basic_yearly = fake.create_price(10000, interval="year", product=basic_monthly["product"])
    pro_monthly = fake.create_price(3000, name="Pro")
    pro_yearly = fake.create_price(30000, interval="year", product=pro_monthly["product"])
    basic = make_plan(
        slug="t-basic",
        name_en="Basic Test",
        price_monthly_cents=1000,
        price_yearly_cents=10000,
        stripe_price_monthly=basic_monthly["id"],
        stripe_price_yearly=basic_yearly["id"],
        sort_order=1,
    )
    pro = make_plan(
        slug="t-pro",
        name_en="Pro Test",
        price_monthly_cents=3000,
        price_yearly_cents=30000,
        stripe_price_monthly=pro_monthly["id"],
        stripe_price_yearly=pro_yearly["id"],
        sort_order=2,
    )
    return Plans(basic=basic, pro=pro)


def owner_of(company: Company) -> User:
    return User.objects.get(email=f"owner@{company.subdomain}.test")


def client_for(user: User, company: Company) -> Client:
    client = host_client(f"{company.subdomain}.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def owner_client(company: Company) -> Client:
    return client_for(owner_of(company), company)


def member_of(company: Company, role: str) -> User:
    user = make_user()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    membership_create(user=user, company=company, role=role, actor=None)
    return user


def subscribe(client: Client, fake: FakeStripe, plan: Plan, interval: str = "monthly") -> str:
    """Subscribe through the page: checkout, pay on the fake's page, come back. Returns the
    Stripe subscription id."""
    response = client.post("/billing/subscribe/", {"plan": plan.slug, "interval": interval})
    assert response.status_code == 303, response.content
    session_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    done = fake.complete_checkout(session_id)
    back = client.get(f"/billing/checkout/done/?session_id={session_id}")
    assert back.status_code == 303
    assert back["Location"] == "/billing/"
    return str(done["subscription"])


OWNER = Membership.Role.OWNER
NON_OWNERS = [Membership.Role.ADMIN, Membership.Role.MEMBER, Membership.Role.VIEWER]
