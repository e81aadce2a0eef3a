"""The platform owner's billing admin: MRR per company, the overview, complimentary plans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djstripe import models as dj

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.grants import billing_complimentary_grant
from shared_apps.billing.metrics import billing_overview, companies_with_mrr
from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.billing.pricing import money
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries
from tests.shared_apps.billing.factories import put_in_state
from tests.stripe_fake import FakeStripe

S = Company.BillingState
CHANGELIST = "/admin/billing/companybilling/"
OVERVIEW = "/admin/billing/companybilling/overview/"


NewEvents = Callable[[], QuerySet[PlatformEvent]]


@pytest.fixture
def new_events() -> NewEvents:
    """Audit rows written by this test (tests served by a live server commit theirs)."""
    start = PlatformEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    return lambda: PlatformEvent.objects.filter(pk__gt=start)


@pytest.fixture
def staff() -> User:
    return make_user(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff: User) -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


def billing_queries(captured: CaptureQueriesContext) -> list[str]:
    """The page's own queries (not the session's and the signed-in user's)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if "tenants_company" in q["sql"] or "billing_" in q["sql"]
    ]


def subscribe(fake: FakeStripe, company: Company, *, interval: str) -> dj.Subscription:
    customer = stripe.Customer.create(
        email=company.billing_email, metadata={"djstripe_subscriber": str(company.pk)}
    )
    dj.Customer.sync_from_stripe_data(stripe.Customer.retrieve(customer.id))
    price = fake.create_price(1900, name="Plan", interval=interval)
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price["id"], "quantity": 1}],
        success_url="http://localhost/ok",
    )
    sub_id = fake.complete_checkout(session.id)["subscription"]
    return dj.Subscription.sync_from_stripe_data(stripe.Subscription.retrieve(sub_id))


def on_plan(company: Company, slug: str, state: str = S.ACTIVE) -> Plan:
    plan = Plan.objects.get(slug=slug)
    Company.objects.filter(pk=company.pk).update(plan=plan)
    put_in_state(company, state)
    return plan


def more_companies(count: int, *, plan: Plan) -> None:
    """Company rows without schemas: enough for lists and counts."""
    for n in range(count):
        Company.objects.create(
            name=f"Extra {n}",
            subdomain=f"extra{n}",
            schema_name=f"extra{n}",
            billing_email=f"billing@extra{n}.test",
            plan=plan,
            billing_state=S.ACTIVE,
        )


@pytest.fixture
def paying(djstripe_fake: FakeStripe, alpha: Company, beta: Company) -> dict[str, Plan]:
    """alpha pays Starter monthly; beta pays Pro yearly."""
    starter = on_plan(alpha, "starter")
    pro = on_plan(beta, "pro")
    subscribe(djstripe_fake, alpha, interval="month")
    subscribe(djstripe_fake, beta, interval="year")
    return {"starter": starter, "pro": pro}


@pytest.mark.django_db
class TestMrr:
    def test_monthly_yearly_and_none(
        self, paying: dict[str, Plan], alpha: Company, beta: Company
    ) -> None:
        rows = {c.subdomain: c for c in companies_with_mrr(Company.objects.all())}
        starter, pro = paying["starter"], paying["pro"]
        assert pro.price_yearly_cents is not None
        assert rows["alpha"].mrr_cents == starter.price_monthly_cents
        assert rows["beta"].mrr_cents == pytest.approx(pro.price_yearly_cents / 12)
        assert rows["alpha"].subscription_interval == "month"
        assert rows["beta"].subscription_interval == "year"

    def test_a_trial_or_a_complimentary_plan_brings_nothing(
        self, alpha: Company, beta: Company
    ) -> None:
        on_plan(alpha, "pro")  # complimentary: a plan, no subscription
        rows = {c.subdomain: c for c in companies_with_mrr(Company.objects.all())}
        assert rows["alpha"].mrr_cents == 0
        assert rows["beta"].mrr_cents == 0

    def test_a_canceled_subscription_brings_nothing(
        self, paying: dict[str, Plan], alpha: Company
    ) -> None:
        sub = dj.Subscription.objects.get(customer__subscriber=alpha)
        sub.stripe_data = {**sub.stripe_data, "status": "canceled"}
        sub.save()
        row = companies_with_mrr(Company.objects.filter(pk=alpha.pk)).get()
        assert row.mrr_cents == 0

    def test_the_changelist_shows_mrr_and_subscription(
        self, admin_client: Client, paying: dict[str, Plan]
    ) -> None:
        response = admin_client.get(CHANGELIST)
        assert response.status_code == 200
        body = response.content.decode()
        assert money(paying["starter"].price_monthly_cents) in body
        assert "active (year)" in body
        assert OVERVIEW in body  # the overview link

    def test_the_changelist_costs_the_same_queries_for_more_companies(
        self, admin_client: Client, paying: dict[str, Plan]
    ) -> None:
        admin_client.get(CHANGELIST)  # warm-up (session, content types)
        with page_queries() as few:
            assert admin_client.get(CHANGELIST).status_code == 200
        more_companies(6, plan=paying["pro"])
        with page_queries() as many:
            response = admin_client.get(CHANGELIST)
        assert "Extra 5" in response.content.decode()
        assert len(many.captured_queries) == len(few.captured_queries)
        # the plan filter's choices, the filtered and total counts, the page of companies
        assert len(billing_queries(few)) == 4


@pytest.mark.django_db
class TestOverview:
    def test_numbers(
        self, admin_client: Client, paying: dict[str, Plan], alpha: Company, beta: Company
    ) -> None:
        # given alpha and beta paying, three more companies: one past due, one canceled
        # this week (churned), one canceled long ago
        plan = paying["pro"]
        more_companies(3, plan=plan)
        extra = list(Company.objects.filter(subdomain__startswith="extra").order_by("name"))
        put_in_state(extra[0], S.PAST_DUE)
        put_in_state(extra[1], S.CANCELED)
        put_in_state(extra[2], S.CANCELED, since=timezone.now() - timedelta(days=60))
        now = timezone.now()
        for company, days in ((extra[1], 3), (extra[2], 60)):
            BillingStateChange.objects.create(
                company=company,
                from_state=S.ACTIVE,
                to_state=S.CANCELED,
                reason="subscription ended",
                source="reconcile",
                at=now - timedelta(days=days),
            )
        # when
        numbers = billing_overview(now=now)
        starter = paying["starter"]
        assert plan.price_yearly_cents is not None
        expected = starter.price_monthly_cents + plan.price_yearly_cents / 12
        # then
        assert numbers.mrr == {"EUR": pytest.approx(expected)}
        assert numbers.paying == 2
        assert numbers.by_state[S.ACTIVE] == 2
        assert numbers.by_state[S.PAST_DUE] == 1
        assert numbers.by_state[S.CANCELED] == 2
        assert numbers.by_state[S.SUSPENDED] == 0
        assert numbers.churned == 1
        assert numbers.total == 5
        # and the page shows them
        response = admin_client.get(OVERVIEW)
        assert response.status_code == 200
        body = response.content.decode()
        assert money(round(expected)) in body
        assert '<td id="churned">1</td>' in body
        assert '<td id="state-past_due">1</td>' in body
        assert '<td id="state-read_only">0</td>' in body
        assert "Canceled in the last 30 days" in body

    def test_constant_queries(self, admin_client: Client, paying: dict[str, Plan]) -> None:
        admin_client.get(OVERVIEW)
        with page_queries() as few:
            assert admin_client.get(OVERVIEW).status_code == 200
        more_companies(5, plan=paying["pro"])
        with page_queries() as many:
            admin_client.get(OVERVIEW)
        assert len(many.captured_queries) == len(few.captured_queries)
        # MRR by currency, companies by state, churned companies
        assert len(billing_queries(few)) == 3

    def test_only_staff(self, alpha: Company) -> None:
        client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(User.objects.get(email="owner@alpha.test"))
        response = client.get(OVERVIEW)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def _grant(client: Client, companies: list[Company], **data: Any) -> Any:
    return client.post(
        CHANGELIST,
        {
            "action": "grant_complimentary",
            "_selected_action": [str(c.pk) for c in companies],
            **data,
        },
        follow=False,
    )


@pytest.mark.django_db
class TestComplimentary:
    def test_the_action_asks_for_a_plan_and_a_reason(
        self, admin_client: Client, alpha: Company
    ) -> None:
        response = _grant(admin_client, [alpha])
        assert response.status_code == 200
        body = response.content.decode()
        assert "Grant a complimentary plan" in body
        assert 'name="reason"' in body
        assert "Alpha Ltd" in body
        # the trial cannot be chosen
        trial = Plan.objects.get(is_trial=True)
        assert f'<option value="{trial.pk}"' not in body

    def test_granted_audited_and_active(
        self,
        admin_client: Client,
        alpha: Company,
        beta: Company,
        staff: User,
        new_events: NewEvents,
    ) -> None:
        # given alpha suspended on the trial
        put_in_state(alpha, S.SUSPENDED)
        pro = Plan.objects.get(slug="pro")
        # when the platform admin grants Pro with a reason
        response = _grant(
            admin_client, [alpha], apply="1", plan=str(pro.pk), reason="partner programme"
        )
        # then
        assert response.status_code == 302, response.content.decode()[:2000]
        alpha.refresh_from_db()
        assert (alpha.plan, alpha.billing_state) == (pro, S.ACTIVE)
        change = BillingStateChange.objects.get(company=alpha)
        assert (change.forced, change.actor, change.reason) == (True, staff, "partner programme")
        event = new_events().get(action="billing.complimentary_granted")
        assert event.actor == staff
        assert event.data == {
            "plan": ["trial", "pro"],
            "state": ["suspended", "active"],
            "reason": "partner programme",
        }
        assert new_events().filter(action="billing.plan_changed").count() == 1
        # and beta is untouched
        assert Company.objects.get(pk=beta.pk).plan == beta.plan
        # and its MRR stays 0 (no subscription)
        assert companies_with_mrr(Company.objects.filter(pk=alpha.pk)).get().mrr_cents == 0

    def test_without_a_reason_nothing_changes(
        self, admin_client: Client, alpha: Company, new_events: NewEvents
    ) -> None:
        pro = Plan.objects.get(slug="pro")
        response = _grant(admin_client, [alpha], apply="1", plan=str(pro.pk), reason="  ")
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()
        alpha.refresh_from_db()
        assert alpha.plan != pro
        assert not new_events().filter(action__startswith="billing.").exists()

    def test_the_trial_plan_or_a_missing_plan_is_refused(
        self,
        admin_client: Client,
        alpha: Company,
        new_events: NewEvents,
    ) -> None:
        trial = Plan.objects.get(is_trial=True)
        for plan in (str(trial.pk), "999999", ""):
            response = _grant(admin_client, [alpha], apply="1", plan=plan, reason="x")
            assert response.status_code == 400
            body = response.content.decode()
            assert "Select a valid choice" in body or "This field is required." in body
        assert not new_events().filter(action__startswith="billing.").exists()

    def test_a_company_with_a_live_subscription_is_refused(
        self, admin_client: Client, paying: dict[str, Plan], alpha: Company, beta: Company
    ) -> None:
        # given alpha pays through Stripe and gamma-like beta is granted alongside
        Company.objects.filter(pk=beta.pk).update(plan=Plan.objects.get(is_trial=True))
        dj.Subscription.objects.filter(customer__subscriber=beta).delete()
        enterprise = Plan.objects.get(slug="enterprise")
        response = _grant(
            admin_client,
            [alpha, beta],
            apply="1",
            plan=str(enterprise.pk),
            reason="deal",
        )
        assert response.status_code == 302
        messages = [str(m) for m in response.wsgi_request._messages]
        assert any("Alpha Ltd" in m and "live Stripe subscription" in m for m in messages)
        assert any("granted to 1 company" in m for m in messages)
        assert Company.objects.get(pk=alpha.pk).plan == paying["starter"]
        assert Company.objects.get(pk=beta.pk).plan == enterprise


@pytest.mark.django_db
class TestComplimentaryService:
    def test_bad_input_is_refused_and_nothing_changes(
        self, alpha: Company, staff: User, new_events: NewEvents
    ) -> None:
        pro = Plan.objects.get(slug="pro")
        trial = Plan.objects.get(is_trial=True)
        with pytest.raises(ValidationError) as too_long:
            billing_complimentary_grant(company=alpha, plan=pro, reason="x" * 301, actor=staff)
        assert "reason" in too_long.value.message_dict
        with pytest.raises(ValidationError) as on_trial:
            billing_complimentary_grant(company=alpha, plan=trial, reason="why", actor=staff)
        assert "plan" in on_trial.value.message_dict
        with pytest.raises(ValidationError):
            billing_complimentary_grant(
                company=alpha,
                plan=pro,
                reason="why",
                actor=None,  # type: ignore[arg-type]
            )
        alpha.refresh_from_db()
        assert (alpha.plan, alpha.billing_state) == (trial, S.TRIALING)
        assert not new_events().filter(action__startswith="billing.").exists()

    def test_an_active_company_keeps_its_state(self, alpha: Company, staff: User) -> None:
        put_in_state(alpha, S.ACTIVE)
        pro = Plan.objects.get(slug="pro")
        billing_complimentary_grant(company=alpha, plan=pro, reason="partner", actor=staff)
        assert (alpha.plan, alpha.billing_state) == (pro, S.ACTIVE)
        assert not BillingStateChange.objects.filter(company=alpha).exists()
