"""Deals placed straight into a stage (not through services), and signed-in clients."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from shared_apps.accounts.models import User
from tenant_apps.crm.models import Deal, Stage
from tenant_apps.crm.services.deals import status_for
from tests.conftest import host_client
from tests.tenant_apps.crm.factories import default_pipeline

# Stage names are stored in the owner's language; positions are fixed.
POSITIONS = {"Lead": 1, "Qualified": 2, "Proposal": 3, "Negotiation": 4, "Won": 5, "Lost": 6}


def stage(name: str) -> Stage:
    return default_pipeline().stages.get(position=POSITIONS[name])


def put_deal(
    name: str,
    where: Stage,
    *,
    amount: str = "100",
    currency: str = "EUR",
    owner: User | None = None,
    **fields: Any,
) -> Deal:
    fields.setdefault("stage_changed_at", timezone.now())
    return Deal.objects.create(
        name=name,
        pipeline_id=where.pipeline_id,
        stage=where,
        amount=Decimal(amount),
        currency=currency,
        owner=owner,
        status=status_for(where),
        **fields,
    )


def put_deals(n: int, where: Stage, *, owner: User | None = None) -> list[Deal]:
    now = timezone.now()
    return Deal.objects.bulk_create(
        Deal(
            name=f"Bulk {i}",
            pipeline_id=where.pipeline_id,
            stage=where,
            amount=Decimal(1000 + i),
            owner=owner,
            status=status_for(where),
            stage_changed_at=now - datetime.timedelta(days=i % 20),
        )
        for i in range(n)
    )


def signed_in(user: User) -> Client:
    client = host_client("alpha.localhost")
    client.force_login(user)
    return client
