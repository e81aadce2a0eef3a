from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import factory
from django.utils import timezone

from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.selectors import routing_forget


class PlanFactory(factory.django.DjangoModelFactory[Plan]):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    name_en = factory.Sequence(lambda n: f"Plan {n}")
    name_bg = factory.Sequence(lambda n: f"План {n}")
    price_monthly_cents = 2_500
    price_yearly_cents = 25_000
    seats = 5
    contacts = 1_000
    storage_mb = 2_048
    ai_requests_per_month = 50
    api_requests_per_minute = 60
    features = factory.LazyFunction(
        lambda: {"ai": True, "api": False, "custom_fields": False, "sso": False}
    )
    is_public = True
    sort_order = factory.Sequence(lambda n: 100 + n)


def make_plan(**kwargs: Any) -> Plan:
    """A saved plan (typed: factory_boy's call is not)."""
    return cast(Plan, PlanFactory(**kwargs))


def put_in_state(
    company: Company,
    state: str,
    *,
    since: datetime | None = None,
    trial_ends_at: datetime | None = None,
) -> Company:
    """Test setup: put `company` in `state` since `since` (default: a day ago), bypassing
    the services on purpose."""
    since = since or timezone.now() - timedelta(days=1)
    fields: dict[str, Any] = {"billing_state": state, "billing_state_changed_at": since}
    if trial_ends_at is not None:
        fields["trial_ends_at"] = trial_ends_at
    Company.objects.filter(pk=company.pk).update(**fields)
    # what the save() in the services would trigger: routing's cached copies are dropped
    routing_forget(
        list(Domain.objects.filter(tenant_id=company.pk).values_list("domain", flat=True))
    )
    company.refresh_from_db()
    return company
