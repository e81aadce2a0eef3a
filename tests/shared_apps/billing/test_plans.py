"""Plans: the seeded ones, validation, and the audited create/update services."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import Plan
from shared_apps.billing.selectors import plan_trial_get
from shared_apps.billing.services import plan_create, plan_update
from shared_apps.tenants.models import Company
from tests.factories import make_user
from tests.shared_apps.billing.factories import make_plan

seed_migration = importlib.import_module("shared_apps.billing.migrations.0002_seed_plans")
trial_migration = importlib.import_module("shared_apps.billing.migrations.0003_companies_on_trial")

SEEDED = ["trial", "starter", "pro", "enterprise"]


@pytest.mark.django_db
class TestSeededPlans:
    def test_the_migration_seeded_four_plans_in_order(self) -> None:
        plans = Plan.objects.filter(slug__in=SEEDED)
        assert [p.slug for p in plans] == SEEDED
        assert [p.slug for p in Plan.objects.filter(is_public=True, slug__in=SEEDED)] == [
            "starter",
            "pro",
            "enterprise",
        ]

    def test_the_trial_is_fourteen_free_days(self) -> None:
        trial = plan_trial_get()
        assert trial.slug == "trial"
        assert (trial.trial_days, trial.price_monthly_cents, trial.is_public) == (14, 0, False)
        assert trial.stripe_price_monthly == trial.stripe_price_yearly == ""

    def test_the_documented_numbers(self) -> None:
        starter, pro, enterprise = (Plan.objects.get(slug=s) for s in SEEDED[1:])
        assert (starter.price_monthly_cents, starter.price_yearly_cents) == (1_900, 19_000)
        assert (starter.seats, starter.contacts, starter.storage_mb) == (3, 5_000, 1_024)
        assert (starter.ai_requests_per_month, starter.api_requests_per_minute) == (100, 60)
        assert (pro.price_monthly_cents, pro.seats, pro.contacts) == (4_900, 10, 50_000)
        assert (enterprise.seats, enterprise.contacts) == (None, None)  # unlimited
        assert enterprise.has_feature("sso")
        assert not pro.has_feature("sso")
        assert not starter.has_feature("custom_fields")

    def test_seeded_plans_are_valid(self) -> None:
        for plan in Plan.objects.filter(slug__in=SEEDED):
            plan.full_clean()

    def test_seeding_again_changes_nothing_and_keeps_price_ids(self) -> None:
        Plan.objects.filter(slug="pro").update(stripe_price_monthly="price_ProMonthly")
        before = Plan.objects.count()
        seed_migration.seed(apps, None)
        assert Plan.objects.count() == before
        assert Plan.objects.get(slug="pro").stripe_price_monthly == "price_ProMonthly"

    def test_the_migrations_reverse_and_apply_again(self, alpha: Company) -> None:
        # reversed: companies off their plans, then the seeded plans gone
        trial_migration.companies_off_plans(apps, None)
        seed_migration.unseed(apps, None)
        assert not Plan.objects.filter(slug__in=SEEDED).exists()
        assert Company.objects.get(pk=alpha.pk).plan is None
        # applied again: the plans are back and every company is on the trial
        seed_migration.seed(apps, None)
        trial_migration.companies_on_trial(apps, None)
        alpha.refresh_from_db()
        assert alpha.plan is not None
        assert alpha.plan.slug == "trial"
        assert alpha.billing_state == "trialing"
        assert alpha.trial_ends_at is not None
        assert (alpha.trial_ends_at - alpha.billing_state_changed_at).days == 14

    def test_existing_companies_are_on_the_trial(self, alpha: Company, beta: Company) -> None:
        for company in (alpha, beta):
            assert company.plan == plan_trial_get()
            assert company.billing_state == Company.BillingState.TRIALING
            assert company.trial_ends_at is not None


@pytest.mark.django_db
class TestValidation:
    def _errors(self, **fields: Any) -> dict[str, list[str]]:
        plan = Plan(slug="x", name_en="X", name_bg="Х", **fields)
        with translation.override("en"):
            with pytest.raises(ValidationError) as excinfo:
                plan.full_clean()
            # the messages are lazy: render them while English is active
            return {
                field: [str(m) for m in msgs] for field, msgs in excinfo.value.message_dict.items()
            }

    def test_limits_cannot_be_negative(self) -> None:
        errors = self._errors(seats=-1, contacts=-5)
        assert "greater than or equal to 0" in errors["seats"][0]
        assert "contacts" in errors

    def test_unknown_feature_is_refused(self) -> None:
        errors = self._errors(features={"ai": True, "teleport": True})
        assert errors["features"] == [
            "Unknown features: teleport. Known: ai, api, custom_fields, sso."
        ]

    def test_features_must_be_booleans(self) -> None:
        assert "true or false" in self._errors(features={"ai": "yes"})["features"][0]
        assert "object" in self._errors(features=["ai"])["features"][0]

    def test_stripe_price_id_format(self) -> None:
        errors = self._errors(stripe_price_monthly="prod_123")
        assert "price_" in errors["stripe_price_monthly"][0]

    def test_a_price_id_belongs_to_one_plan_in_either_column(self) -> None:
        make_plan(stripe_price_monthly="price_A1", stripe_price_yearly="price_A12")
        assert (
            "Another plan"
            in self._errors(stripe_price_monthly="price_A1")["stripe_price_monthly"][0]
        )
        assert (
            "Another plan"
            in self._errors(stripe_price_yearly="price_A1", price_yearly_cents=100)[
                "stripe_price_yearly"
            ][0]
        )
        assert (
            "Another plan"
            in self._errors(stripe_price_monthly="price_A12")["stripe_price_monthly"][0]
        )

    def test_monthly_and_yearly_ids_differ(self) -> None:
        errors = self._errors(
            stripe_price_monthly="price_B", stripe_price_yearly="price_B", price_yearly_cents=1
        )
        assert "must differ" in errors["stripe_price_yearly"][0]

    def test_a_yearly_price_id_needs_a_yearly_price(self) -> None:
        errors = self._errors(stripe_price_yearly="price_C", price_yearly_cents=None)
        assert "price_yearly_cents" in errors

    def test_trial_rules(self) -> None:
        errors = self._errors(is_trial=True, stripe_price_monthly="price_T", is_public=True)
        assert set(errors) >= {"trial_days", "stripe_price_monthly", "is_public"}
        assert "trial_days" in self._errors(trial_days=14)  # not a trial plan
        # and only one trial plan exists
        errors = self._errors(is_trial=True, trial_days=7)
        assert errors["__all__"] == ["There is already a trial plan."]

    def test_the_database_holds_the_rules_too(self) -> None:
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            Plan.objects.create(slug="t2", name_en="T", name_bg="Т", is_trial=False, trial_days=3)
        with pytest.raises(IntegrityError), transaction.atomic():
            make_plan(stripe_price_monthly="price_D", stripe_price_yearly="price_D")


@pytest.mark.django_db
class TestPlanServices:
    def test_create_is_audited(self) -> None:
        admin = make_user(is_staff=True)
        plan = plan_create(
            actor=admin, slug="team", name_en="Team", name_bg="Екип", seats=20, is_public=True
        )
        event = PlatformEvent.objects.get(action="billing.plan_created", target_id=str(plan.pk))
        assert event.actor == admin
        assert event.data["fields"]["slug"] == "team"
        assert event.data["fields"]["seats"] == 20

    def test_create_validates(self) -> None:
        with pytest.raises(ValidationError):
            plan_create(actor=None, slug="bad", name_en="B", name_bg="Б", features={"x": True})
        assert not Plan.objects.filter(slug="bad").exists()

    def test_update_audits_the_changed_fields_only(self) -> None:
        plan = make_plan(seats=5, contacts=1_000)
        admin = make_user(is_staff=True)
        plan_update(
            plan=plan,
            actor=admin,
            seats=8,
            contacts=1_000,
            features={"ai": True, "api": True, "custom_fields": False, "sso": False},
        )
        event = PlatformEvent.objects.get(action="billing.plan_updated", target_id=str(plan.pk))
        assert event.actor == admin
        assert event.data == {
            "changed": {
                "seats": [5, 8],
                "features": [
                    {"ai": True, "api": False, "custom_fields": False, "sso": False},
                    {"ai": True, "api": True, "custom_fields": False, "sso": False},
                ],
            }
        }
        assert Plan.objects.get(pk=plan.pk).seats == 8

    def test_an_update_that_changes_nothing_writes_nothing(self) -> None:
        plan = make_plan(seats=5)
        plan_update(plan=plan, actor=None, seats=5)
        assert not PlatformEvent.objects.filter(action="billing.plan_updated").exists()

    def test_update_validates_and_keeps_the_old_values(self) -> None:
        plan = make_plan(seats=5)
        with pytest.raises(ValidationError):
            plan_update(plan=plan, actor=None, seats=-2)
        with pytest.raises(ValidationError):
            plan_update(plan=plan, actor=None, features={"teleport": True})
        assert Plan.objects.get(pk=plan.pk).seats == 5

    @pytest.mark.parametrize("field", ["slug", "is_trial", "created_at"])
    def test_fixed_fields_cannot_be_updated(self, field: str) -> None:
        plan = make_plan()
        with pytest.raises(ValidationError):
            plan_update(plan=plan, actor=None, **{field: "x"})


@pytest.mark.django_db
def test_the_name_follows_the_language() -> None:
    plan = make_plan(name_en="Team", name_bg="Екип", description_en="For teams")
    with translation.override("bg"):
        assert (plan.name, plan.description) == ("Екип", "For teams")  # falls back to English
    with translation.override("en"):
        assert plan.name == "Team"
