"""Companies that existed before billing start a trial now: the trial plan, `trialing`, and
the trial's full length from today. Idempotent (only companies without a plan); the reverse
takes every company off its plan, as before tenants.0005."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def companies_on_trial(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Company = apps.get_model("tenants", "Company")
    trial = Plan.objects.get(is_trial=True)
    now = timezone.now()
    Company.objects.filter(plan__isnull=True).update(
        plan=trial,
        billing_state="trialing",
        billing_state_changed_at=now,
        trial_ends_at=now + timedelta(days=trial.trial_days),
    )


def companies_off_plans(apps, schema_editor):
    Company = apps.get_model("tenants", "Company")
    Company.objects.update(plan=None, trial_ends_at=None)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_seed_plans"),
        ("tenants", "0005_company_billing"),
    ]

    operations = [migrations.RunPython(companies_on_trial, companies_off_plans)]
