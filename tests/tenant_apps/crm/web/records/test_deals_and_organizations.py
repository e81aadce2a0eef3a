"""Deal and organization forms: happy paths and every bad input, field by field."""

from __future__ import annotations

import pytest

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Deal, LostReason, Organization, Pipeline, Stage
from tenant_apps.crm.services.deals import deal_create
from tenant_apps.crm.services.organizations import organization_create
from tests.conftest import client_for
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def _deal(**overrides: object) -> dict[str, object]:
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position").first()
    assert stage is not None
    data: dict[str, object] = {
        "name": "Big deal",
        "pipeline": str(pipeline.pk),
        "stage": str(stage.pk),
        "amount": "1250,50",
        "currency": "eur",
        "expected_close_date": "2030-06-30",
        "status": "open",
        "lost_reason": "",
        "owner": "",
    }
    data.update(overrides)
    return data


def test_deal_create(in_alpha: Company, member: User) -> None:
    response = client_for(member).post("/deals/new/", _deal(owner=str(member.pk), name=XSS))
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert (str(deal.amount), deal.currency, deal.name) == ("1250.50", "EUR", XSS)
    html = client_for(member).get(f"/deals/{deal.pk}/").content.decode()
    assert XSS not in html
    assert "&lt;script&gt;" in html


def test_deal_create_form_defaults_to_eur(in_alpha: Company, member: User) -> None:
    form = client_for(member).get("/deals/new/").context["form"]
    assert form["currency"].value() == "EUR"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "lots"}, "amount", "Enter an amount, e.g. 1250.00."),
        ({"amount": "-5"}, "amount", "greater than or equal to 0"),
        ({"currency": "EURO"}, "currency", "at most 3 characters"),
        ({"currency": "E1R"}, "currency", "three-letter ISO 4217"),
        ({"expected_close_date": "2030-02-30"}, "expected_close_date", "valid date"),
        ({"name": ""}, "name", "This field is required."),
        ({"owner": "999999"}, "owner", "Select a valid choice."),
        ({"status": "maybe"}, "status", "Select a valid choice."),
    ],
)
def test_deal_bad_input(
    in_alpha: Company, member: User, overrides: dict, field: str, message: str
) -> None:
    response = client_for(member).post("/deals/new/", _deal(**overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Deal.objects.exists()


def test_stage_of_another_pipeline_is_refused(in_alpha: Company, member: User) -> None:
    other = Pipeline.objects.create(name="Other")
    foreign = Stage.objects.create(pipeline=other, name="Elsewhere", position=1)
    response = client_for(member).post("/deals/new/", _deal(stage=str(foreign.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["stage"] == ["Choose a stage of the deal's pipeline."]
    assert not Deal.objects.exists()


def test_stage_options_follow_the_pipeline(in_alpha: Company, member: User) -> None:
    pipeline = default_pipeline()
    html = client_for(member).get(f"/deals/stages/?pipeline={pipeline.pk}").content.decode()
    for stage in pipeline.stages.all():
        assert f'value="{stage.pk}"' in html


def test_deal_lost_with_reason(in_alpha: Company, member: User) -> None:
    deal = deal_create(actor=member, name="D", pipeline=default_pipeline())
    reason = LostReason.objects.create(name="Too pricey", position=99)
    client = client_for(member)
    edit = _deal(version="1", name="D", status="lost", lost_reason="Too expensive")
    # the company keeps a list of reasons: one of them is required
    assert client.post(f"/deals/{deal.pk}/edit/", edit).status_code == 400
    response = client.post(f"/deals/{deal.pk}/edit/", {**edit, "lost_reason_choice": reason.pk})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == ("lost", "Too expensive")
    assert deal.lost_reason_choice == reason


def test_organization_create_and_bad_input(in_alpha: Company, member: User) -> None:
    client = client_for(member)
    bad = client.post(
        "/organizations/new/",
        {"name": "Acme", "email": "nope", "phone": "123", "country": "BGR", "website": "x y"},
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert set(errors) >= {"email", "phone", "country"}
    assert not Organization.objects.exists()
    good = client.post(
        "/organizations/new/",
        {"name": XSS, "website": "https://www.acme.test", "phone": "+359 2 123 4567"},
    )
    assert good.status_code == 302
    org = Organization.objects.get()
    assert (org.name, org.domain, org.phone) == (XSS, "acme.test", "+35921234567")


def test_organization_stale_edit(in_alpha: Company, member: User) -> None:
    org = organization_create(actor=member, name="Acme")
    client = client_for(member)
    assert (
        client.post(f"/organizations/{org.pk}/edit/", {"name": "First", "version": "1"}).status_code
        == 302
    )
    stale = client.post(f"/organizations/{org.pk}/edit/", {"name": "Second", "version": "1"})
    assert stale.status_code == 409
    org.refresh_from_db()
    assert org.name == "First"
    assert ("Name", "First", "Second") in stale.context["stale"].rows
