from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from tenant_apps.crm.models import Pipeline
from tests.factories import make_user

pytestmark = pytest.mark.django_db

STAGES = [
    ("Lead", 10, False, False),
    ("Qualified", 25, False, False),
    ("Proposal", 50, False, False),
    ("Negotiation", 75, False, False),
    ("Won", 100, True, False),
    ("Lost", 0, False, True),
]


@pytest.mark.parametrize("schema", ["alpha", "beta"])
def test_provisioned_companies_have_the_default_pipeline(
    alpha: Company, beta: Company, schema: str
) -> None:
    with schema_context(schema):
        pipeline = Pipeline.objects.get()
        assert pipeline.is_default
        stages = [
            (s.position, s.win_probability, s.is_won, s.is_lost) for s in pipeline.stages.all()
        ]
    assert stages == [(n, p, w, lost) for n, (_name, p, w, lost) in enumerate(STAGES, start=1)]


def test_default_pipeline_is_named_in_the_owners_language(db: None) -> None:
    make_user(email="bg-owner@example.test", language="bg")
    company = company_provision(name="Гама", subdomain="gamma", owner_email="bg-owner@example.test")
    with schema_context(company.schema_name):
        pipeline = Pipeline.objects.get()
        names = list(pipeline.stages.values_list("name", flat=True))
    with translation.override("bg"):
        expected = [gettext(name) for name, *_rest in STAGES]
        assert pipeline.name == gettext("Sales")
    assert names == expected


def test_default_pipeline_in_english_for_an_english_owner(db: None) -> None:
    make_user(email="en-owner@example.test", language="en")
    company = company_provision(
        name="Epsilon", subdomain="epsilon", owner_email="en-owner@example.test"
    )
    with schema_context(company.schema_name):
        pipeline = Pipeline.objects.get()
        names = list(pipeline.stages.values_list("name", flat=True))
    assert pipeline.name == "Sales"
    assert names == [name for name, *_rest in STAGES]
