"""Amounts and custom numbers typed with thousands separators, in English and Bulgarian:
the deal form, number custom fields, the edit form's starting values, the amount filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import CustomField, Deal
from tenant_apps.crm.services.deals import deal_create
from tests.conftest import host_client
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db
NBSP, NNBSP = "\u00a0", "\u202f"


def _client(user: User, language: str) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _deal(amount: str, **extra: str) -> dict[str, str]:
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position").first()
    assert stage is not None
    return {
        "name": "Big deal",
        "pipeline": str(pipeline.pk),
        "stage": str(stage.pk),
        "amount": amount,
        "currency": "EUR",
        "status": "open",
        "owner": "",
        **extra,
    }


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("en", "12,500.50", "12500.50"),
        ("bg", "12 500,50", "12500.50"),
        ("bg", f"12{NBSP}500,50", "12500.50"),
        ("bg", f"12{NNBSP}500,50", "12500.50"),
        ("bg", "1.234,56", "1234.56"),
        ("bg", "1250,5", "1250.50"),
    ],
)
def test_deal_amount_with_separators(
    in_alpha: Company, member: User, language: str, typed: str, stored: str
) -> None:
    response = _client(member, language).post("/deals/new/", _deal(typed))
    assert response.status_code == 302, response.content.decode()[:500]
    assert Deal.objects.get().amount == Decimal(stored)


def test_ambiguous_amount_is_refused_with_a_message(in_alpha: Company, member: User) -> None:
    response = _client(member, "bg").post("/deals/new/", _deal("1.234"))
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["amount"])
    assert "„1.234“ може да се разбере по два начина" in errors
    assert "1234" in errors
    assert "1,234" in errors
    assert not Deal.objects.exists()


def test_number_custom_field_with_separators(in_alpha: Company, member: User) -> None:
    CustomField.objects.create(entity="deal", key="seats", label="Seats", type="number")
    data = _deal("0", cf_seats="1,234.5")
    assert _client(member, "en").post("/deals/new/", data).status_code == 302
    assert Deal.objects.get().custom_fields == {"seats": 1234.5}
    refused = _client(member, "bg").post("/deals/new/", {**data, "cf_seats": "2.500"})
    assert refused.status_code == 400
    assert "може да се разбере по два начина" in refused.content.decode()


def test_edit_form_shows_numbers_that_save_back_unchanged(in_alpha: Company, member: User) -> None:
    CustomField.objects.create(entity="deal", key="ratio", label="Ratio", type="number")
    deal = deal_create(
        actor=member,
        name="D",
        pipeline=default_pipeline(),
        amount=Decimal("24800.00"),
        custom_fields={"ratio": 1.234},
    )
    client = _client(member, "bg")
    form = client.get(f"/deals/{deal.pk}/edit/").context["form"]
    assert form["amount"].value() == "24800,00"
    assert form["cf_ratio"].value() == "1,234"
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        name="D",
        amount=form["amount"].value(),
        cf_ratio=form["cf_ratio"].value(),
        currency="EUR",
        status="open",
    )
    assert client.post(f"/deals/{deal.pk}/edit/", data).status_code == 302
    deal.refresh_from_db()
    assert (deal.amount, deal.custom_fields) == (Decimal("24800.00"), {"ratio": 1.234})


@pytest.mark.parametrize(
    ("language", "low", "high"),
    [("en", "12,500.50", "20,000"), ("bg", f"12{NNBSP}500,50", "20.000,00")],
)
def test_amount_filter_with_separators(
    in_alpha: Company, member: User, language: str, low: str, high: str
) -> None:
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position")[0]
    for name, amount in (("Small", "12500.49"), ("Edge", "12500.50"), ("Big", "20000.01")):
        Deal.objects.create(name=name, amount=Decimal(amount), pipeline=pipeline, stage=stage)
    query = {"amount_min": low, "amount_max": high, "amount_currency": "EUR"}
    response = _client(member, language).get("/deals/", query)
    assert response.status_code == 200
    assert [r.cells[0][1] for r in response.context["rows"]] == ["Edge"]
    ambiguous = _client(member, "bg").get("/deals/", {**query, "amount_min": "1.500"})
    assert ambiguous.status_code == 400
    assert "може да се разбере по два начина" in ambiguous.content.decode()
