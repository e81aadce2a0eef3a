"""A deal's amount on the deal, contact and organization pages is written as the language
writes money (grouped, with the currency sign), like the deals list: never `12500.50 EUR`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.services.contacts import contact_create
from tenant_apps.crm.services.deals import deal_create
from tenant_apps.crm.services.organizations import organization_create
from tests.conftest import client_for
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "€12,500.50"), ("bg", f"12{NBSP}500,50{NBSP}€")],
)
def test_deal_amount_on_record_pages(
    in_alpha: Company, member: User, language: str, written: str
) -> None:
    organization = organization_create(actor=member, name="Orchid")
    contact = contact_create(actor=member, last_name="Jones", organization=organization)
    deal = deal_create(
        actor=member,
        name="License",
        pipeline=default_pipeline(),
        organization=organization,
        contacts=[contact],
        amount=Decimal("12500.50"),
        currency="EUR",
    )
    client = client_for(member, language=language)
    for path in (
        f"/deals/{deal.pk}/",
        f"/contacts/{contact.pk}/",
        f"/organizations/{organization.pk}/",
    ):
        page = client.get(path).content.decode()
        assert written in page, path
        assert "12500.50 EUR" not in page, path
        assert "12500,50 EUR" not in page, path


@pytest.mark.parametrize(("language", "number"), [("en", "12,500.50"), ("bg", f"12{NBSP}500,50")])
def test_deal_amount_in_the_history(
    in_alpha: Company, member: User, language: str, number: str
) -> None:
    deal = deal_create(
        actor=member, name="License", pipeline=default_pipeline(), amount=Decimal("12500.50")
    )
    page = client_for(member, language=language).get(f"/deals/{deal.pk}/").content.decode()
    assert f'<span class="entry-new">{number}</span>' in page
    assert "12500.50" not in page
