"""The platform admin: plans and companies' billing, every change through an audited service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.shared_apps.billing.factories import make_plan, put_in_state

S = Company.BillingState
PLAN_FORM_FIELDS = [
    "name_en",
    "name_bg",
    "description_en",
    "description_bg",
    "sort_order",
    "trial_days",
    "currency",
    "price_monthly_cents",
    "price_yearly_cents",
    "stripe_price_monthly",
    "stripe_price_yearly",
    "seats",
    "contacts",
    "storage_mb",
    "ai_requests_per_month",
    "api_requests_per_minute",
]


@pytest.fixture
def staff() -> User:
    return make_user(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff: User) -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


def _plan_form(plan: Plan, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: "" if getattr(plan, name) is None else getattr(plan, name)
        for name in PLAN_FORM_FIELDS
    }
    if plan.is_public:
        data["is_public"] = "on"
    data["features"] = [name for name, on in plan.features.items() if on]
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
class TestPlanAdmin:
    def test_lists_plans_with_their_limits_and_prices(self, admin_client: Client) -> None:
        response = admin_client.get("/admin/billing/plan/")
        assert response.status_code == 200
        body = response.content.decode()
        for name in ("Free trial", "Starter", "Pro", "Enterprise"):
            assert name in body
        assert "€19" in body
        assert "€1,490" in body

    def test_a_change_goes_through_the_service_and_is_audited(
        self, admin_client: Client, staff: User
    ) -> None:
        # given the Pro plan
        plan = Plan.objects.get(slug="pro")
        # when the platform admin raises its seats, turns on SSO and sets its price id
        response = admin_client.post(
            f"/admin/billing/plan/{plan.pk}/change/",
            _plan_form(
                plan,
                seats=12,
                stripe_price_monthly="price_Pro49",
                features=["ai", "api", "custom_fields", "sso"],
            ),
        )
        # then
        assert response.status_code == 302, response.content.decode()[:2000]
        plan.refresh_from_db()
        assert (plan.seats, plan.stripe_price_monthly) == (12, "price_Pro49")
        assert plan.features == {"ai": True, "api": True, "custom_fields": True, "sso": True}
        event = PlatformEvent.objects.get(action="billing.plan_updated", target_id=str(plan.pk))
        assert event.actor == staff
        assert event.data["changed"]["seats"] == [10, 12]
        assert event.data["changed"]["stripe_price_monthly"] == ["", "price_Pro49"]
        assert event.data["changed"]["features"][1]["sso"] is True
        assert set(event.data["changed"]) == {"seats", "stripe_price_monthly", "features"}

    def test_saving_unchanged_writes_no_audit_row(self, admin_client: Client) -> None:
        plan = Plan.objects.get(slug="starter")
        response = admin_client.post(f"/admin/billing/plan/{plan.pk}/change/", _plan_form(plan))
        assert response.status_code == 302
        assert not PlatformEvent.objects.filter(action="billing.plan_updated").exists()

    def test_invalid_values_are_shown_on_the_form(self, admin_client: Client) -> None:
        other = make_plan(stripe_price_monthly="price_Taken")
        plan = Plan.objects.get(slug="starter")
        response = admin_client.post(
            f"/admin/billing/plan/{plan.pk}/change/",
            _plan_form(plan, seats=-1, stripe_price_monthly=other.stripe_price_monthly),
        )
        assert response.status_code == 200
        body = response.content.decode()
        assert "Ensure this value is greater than or equal to 0." in body
        assert "Another plan uses this Stripe price id." in body
        assert Plan.objects.get(pk=plan.pk).seats == 3

    def test_adding_a_plan_is_audited(self, admin_client: Client, staff: User) -> None:
        data = {
            "slug": "team",
            "name_en": "Team",
            "name_bg": "Екип",
            "sort_order": "40",
            "currency": "EUR",
            "price_monthly_cents": "9900",
            "seats": "25",
            "features": ["ai"],
            "is_public": "on",
        }
        response = admin_client.post("/admin/billing/plan/add/", data)
        assert response.status_code == 302, response.content.decode()[:2000]
        plan = Plan.objects.get(slug="team")
        assert plan.features == {"ai": True, "api": False, "custom_fields": False, "sso": False}
        event = PlatformEvent.objects.get(action="billing.plan_created")
        assert (event.actor, event.target_id) == (staff, str(plan.pk))

    def test_slug_and_trial_flag_are_fixed_and_plans_cannot_be_deleted(
        self, admin_client: Client
    ) -> None:
        plan = Plan.objects.get(slug="pro")
        body = admin_client.get(f"/admin/billing/plan/{plan.pk}/change/").content.decode()
        assert 'name="slug"' not in body
        assert 'name="is_trial"' not in body
        assert 'name="features"' in body
        assert admin_client.get(f"/admin/billing/plan/{plan.pk}/delete/").status_code == 403


@pytest.mark.django_db
class TestCompanyBillingAdmin:
    def _form(self, company: Company, **data: Any) -> dict[str, Any]:
        assert company.plan_id is not None
        base = {
            "plan": str(company.plan_id),
            "move_to": "",
            "new_trial_ends_at_0": "",
            "new_trial_ends_at_1": "",
            "reason": "",
            # the read-only history inline's management form
            "billing_state_changes-TOTAL_FORMS": "0",
            "billing_state_changes-INITIAL_FORMS": "0",
        }
        return {**base, **data}

    def test_lists_companies_with_their_state(self, admin_client: Client, alpha: Company) -> None:
        response = admin_client.get("/admin/billing/companybilling/?billing_state=trialing")
        assert response.status_code == 200
        assert "Alpha Ltd" in response.content.decode()

    def test_force_with_a_reason(self, admin_client: Client, alpha: Company, staff: User) -> None:
        put_in_state(alpha, S.CANCELED)
        response = admin_client.post(
            f"/admin/billing/companybilling/{alpha.pk}/change/",
            self._form(alpha, move_to="active", reason="paid by bank transfer"),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        change = BillingStateChange.objects.get(company=alpha)
        assert (change.from_state, change.to_state, change.forced) == ("canceled", "active", True)
        assert (change.actor, change.reason) == (staff, "paid by bank transfer")
        assert PlatformEvent.objects.filter(action="billing.state_forced", actor=staff).count() == 1

    def test_force_without_a_reason_is_refused(self, admin_client: Client, alpha: Company) -> None:
        response = admin_client.post(
            f"/admin/billing/companybilling/{alpha.pk}/change/",
            self._form(alpha, move_to="suspended"),
        )
        assert response.status_code == 200
        assert "Give a reason for the change." in response.content.decode()
        assert Company.objects.get(pk=alpha.pk).billing_state == S.TRIALING

    def test_extend_the_trial(self, admin_client: Client, alpha: Company) -> None:
        ends = timezone.localtime(timezone.now() + timedelta(days=40)).replace(
            second=0, microsecond=0
        )
        response = admin_client.post(
            f"/admin/billing/companybilling/{alpha.pk}/change/",
            self._form(
                alpha,
                new_trial_ends_at_0=ends.strftime("%Y-%m-%d"),
                new_trial_ends_at_1=ends.strftime("%H:%M:%S"),
                reason="sales call",
            ),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Company.objects.get(pk=alpha.pk).trial_ends_at == ends

    def test_change_the_plan(self, admin_client: Client, alpha: Company, staff: User) -> None:
        pro = Plan.objects.get(slug="pro")
        response = admin_client.post(
            f"/admin/billing/companybilling/{alpha.pk}/change/",
            self._form(alpha, plan=str(pro.pk), reason="upgrade agreed by phone"),
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        assert Company.objects.get(pk=alpha.pk).plan == pro
        event = PlatformEvent.objects.get(action="billing.plan_changed", actor=staff)
        assert event.actor == staff
        assert event.data == {
            "from": "trial",
            "to": "pro",
            "reason": "upgrade agreed by phone",
            "source": "admin",
        }
        # the state is untouched
        assert not BillingStateChange.objects.filter(company=alpha).exists()

    def test_the_company_admin_cannot_edit_billing_fields(
        self, admin_client: Client, alpha: Company
    ) -> None:
        body = admin_client.get(f"/admin/tenants/company/{alpha.pk}/change/").content.decode()
        assert 'name="billing_state"' not in body
        assert 'name="plan"' not in body
