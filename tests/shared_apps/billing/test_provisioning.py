"""A new company starts on the trial plan, within provisioning's one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import schema_exists

from shared_apps.audit.models import PlatformEvent
from shared_apps.billing.models import BillingStateChange, Plan
from shared_apps.billing.selectors import plan_trial_get
from shared_apps.billing.tasks import grace_advance
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import ProvisioningError, company_provision


@pytest.mark.django_db
class TestNewCompanyTrial:
    def test_starts_trialing_on_the_trial_plan(self) -> None:
        before = timezone.now()
        company = company_provision(name="Nu", subdomain="nu-co", owner_email="o@nu.test")
        after = timezone.now()
        stored = Company.objects.get(pk=company.pk)
        assert stored.plan == plan_trial_get()
        assert stored.billing_state == Company.BillingState.TRIALING
        assert before <= stored.billing_state_changed_at <= after
        assert stored.trial_ends_at == stored.billing_state_changed_at + timedelta(days=14)
        # no history row: starting is not a move
        assert not BillingStateChange.objects.filter(company=company).exists()
        # the provisioning audit row says which plan and until when
        event = PlatformEvent.objects.get(action="company.provisioned", company_id=company.pk)
        assert event.data["plan"] == "trial"
        assert event.data["trial_ends_at"] == stored.trial_ends_at.isoformat()

    def test_costs_one_read_and_no_extra_write(self) -> None:
        with CaptureQueriesContext(connection) as ctx:
            company_provision(name="Xi", subdomain="xi-co", owner_email="o@xi.test")
        sql = [q["sql"] for q in ctx.captured_queries]
        assert len([s for s in sql if 'FROM "billing_plan"' in s]) == 1
        assert not [s for s in sql if s.startswith(('INSERT INTO "billing_', 'UPDATE "billing_'))]
        assert not [s for s in sql if s.startswith("UPDATE") and '"tenants_company"' in s]
        insert = next(s for s in sql if s.startswith('INSERT INTO "tenants_company"'))
        assert '"plan_id"' in insert

    def test_without_a_trial_plan_nothing_is_created(self) -> None:
        Plan.objects.filter(is_trial=True).update(is_trial=False, trial_days=None)
        with translation.override("en"), pytest.raises(ProvisioningError) as excinfo:
            company_provision(name="Omi", subdomain="omi-co", owner_email="o@omi.test")
        assert "No trial plan" in str(excinfo.value)
        assert not Company.objects.filter(subdomain="omi-co").exists()
        assert not schema_exists("omi_co")


def test_the_schedule_runs_hourly() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["billing-grace-advance"]
    assert entry["task"] == grace_advance.name == "billing.grace_advance"


def test_billing_settings_have_the_documented_defaults() -> None:
    assert settings.BILLING_PAST_DUE_GRACE_DAYS == 7
    assert settings.BILLING_READ_ONLY_DAYS == 14
    assert settings.BILLING_CANCELED_RETENTION_DAYS == 30
