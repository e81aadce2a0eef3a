"""The plans every installation starts with (prices in EUR cents, limits: None = unlimited).

| plan       | per month   | per year | members | contacts | storage | AI / month | API / min | features               |
|------------|-------------|----------|---------|----------|---------|------------|-----------|------------------------|
| trial      | free, 14 d  | -        | 5       | 2,000    | 1 GB    | 100        | 60        | ai, api, custom_fields |
| starter    | €19         | €190     | 3       | 5,000    | 1 GB    | 100        | 60        | ai, api                |
| pro        | €49         | €490     | 10      | 50,000   | 10 GB   | 1,000      | 300       | ai, api, custom_fields |
| enterprise | €149        | €1,490   | -       | -        | 100 GB  | 10,000     | 1,200     | all four, with sso     |

A year costs ten months. The trial shows the Pro features with smaller limits. Stripe price
ids stay blank: they differ per Stripe account and mode; the platform admin fills them in.

Idempotent (update_or_create by slug; price ids already set are kept) and reversible.
"""

from django.db import migrations

PLANS = [
    {
        "slug": "trial",
        "name_en": "Free trial",
        "name_bg": "Безплатен пробен период",
        "description_en": "14 days of the Pro features, no card needed.",
        "description_bg": "14 дни с възможностите на Pro, без банкова карта.",
        "is_trial": True,
        "trial_days": 14,
        "is_public": False,
        "sort_order": 0,
        "price_monthly_cents": 0,
        "price_yearly_cents": None,
        "seats": 5,
        "contacts": 2_000,
        "storage_mb": 1_024,
        "ai_requests_per_month": 100,
        "api_requests_per_minute": 60,
        "features": {"ai": True, "api": True, "custom_fields": True, "sso": False},
    },
    {
        "slug": "starter",
        "name_en": "Starter",
        "name_bg": "Старт",
        "description_en": "For a small team getting its sales in order.",
        "description_bg": "За малък екип, който подрежда продажбите си.",
        "is_trial": False,
        "trial_days": None,
        "is_public": True,
        "sort_order": 10,
        "price_monthly_cents": 1_900,
        "price_yearly_cents": 19_000,
        "seats": 3,
        "contacts": 5_000,
        "storage_mb": 1_024,
        "ai_requests_per_month": 100,
        "api_requests_per_minute": 60,
        "features": {"ai": True, "api": True, "custom_fields": False, "sso": False},
    },
    {
        "slug": "pro",
        "name_en": "Pro",
        "name_bg": "Про",
        "description_en": "For growing sales teams that need the whole toolkit.",
        "description_bg": "За растящи търговски екипи, които искат всички инструменти.",
        "is_trial": False,
        "trial_days": None,
        "is_public": True,
        "sort_order": 20,
        "price_monthly_cents": 4_900,
        "price_yearly_cents": 49_000,
        "seats": 10,
        "contacts": 50_000,
        "storage_mb": 10_240,
        "ai_requests_per_month": 1_000,
        "api_requests_per_minute": 300,
        "features": {"ai": True, "api": True, "custom_fields": True, "sso": False},
    },
    {
        "slug": "enterprise",
        "name_en": "Enterprise",
        "name_bg": "Корпоративен",
        "description_en": "For larger organizations: unlimited members and contacts, SSO.",
        "description_bg": "За големи организации: неограничени потребители и контакти, SSO.",
        "is_trial": False,
        "trial_days": None,
        "is_public": True,
        "sort_order": 30,
        "price_monthly_cents": 14_900,
        "price_yearly_cents": 149_000,
        "seats": None,
        "contacts": None,
        "storage_mb": 102_400,
        "ai_requests_per_month": 10_000,
        "api_requests_per_minute": 1_200,
        "features": {"ai": True, "api": True, "custom_fields": True, "sso": True},
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for fields in PLANS:
        defaults = {key: value for key, value in fields.items() if key != "slug"}
        Plan.objects.update_or_create(slug=fields["slug"], defaults=defaults)


def unseed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    Plan.objects.filter(slug__in=[fields["slug"] for fields in PLANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
