"""A new company is not an empty room: the first-steps checklist on the dashboard (from real
data, one query, hidden per person or when done) and empty lists that explain and offer the
next step, distinguishing "nothing yet" from "no match for these filters"."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.utils import translation

from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.services import organization_create, stage_create
from tenant_apps.history.models import AuditEvent
from tenant_apps.workspace.checklist import first_steps
from tenant_apps.workspace.models import ChecklistDismissal
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries
from tests.tenant_apps.crm.factories import default_pipeline, make_organizations
from tests.tenant_apps.crm.web.board.helpers import put_deal, stage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def empty_company(in_alpha: Company, owner: User) -> Company:
    """alpha as a brand-new company: no records, nobody else, the pipeline untouched."""
    for model in (Deal, Contact, Organization):
        model.objects.all().delete()
    AuditEvent.objects.filter(action__regex=r"^crm\.(pipeline|stage)\.").delete()
    Membership.objects.filter(company=in_alpha).exclude(user=owner).delete()
    Invitation.objects.filter(company=in_alpha).delete()
    return in_alpha


def client_for(user: User, language: str = "en") -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _done(company: Company, user: User, role: str = "owner") -> dict[str, bool]:
    checklist = first_steps(actor=user, company=company, role=role)
    assert checklist is not None
    return {step.key: step.done for step in checklist.steps}


def test_checklist_follows_the_data(empty_company: Company, owner: User) -> None:
    assert _done(empty_company, owner) == dict.fromkeys(
        ("organization", "contact", "deal", "teammate", "pipeline"), False
    )
    organization_create(actor=owner, name="First customer")
    Contact.objects.create(last_name="Petrova")
    put_deal("First deal", stage("Lead"))
    stage_create(actor=owner, pipeline=default_pipeline(), name="Demo booked")
    assert _done(empty_company, owner) == {
        "organization": True,
        "contact": True,
        "deal": True,
        "teammate": False,
        "pipeline": True,
    }
    Membership.objects.create(user=make_user(), company=empty_company, role="member")
    # every step done: the list goes away
    assert first_steps(actor=owner, company=empty_company, role="owner") is None


def test_checklist_on_the_dashboard_and_hidden_per_person(
    empty_company: Company, owner: User, member: User
) -> None:
    html = client_for(owner).get("/").content.decode()
    assert "First steps" in html
    assert 'href="/organizations/new/"' in html
    assert 'href="/team/"' in html  # owners invite
    assert 'href="/settings/crm/pipelines/"' in html
    member_html = client_for(member).get("/").content.decode()
    assert (
        'href="/team/"' not in member_html.split('id="dash-first-steps"')[1].split("</section>")[0]
    )
    assert "an owner or admin can do this" in member_html

    hidden = client_for(owner).post("/checklist/hide/")

    assert hidden.status_code == 302
    assert ChecklistDismissal.objects.filter(user_id=owner.pk).exists()
    assert "First steps" not in client_for(owner).get("/").content.decode()
    assert "First steps" in client_for(member).get("/").content.decode()  # per person
    assert client_for(owner).post("/checklist/hide/").status_code == 302  # twice is fine
    assert ChecklistDismissal.objects.filter(user_id=owner.pk).count() == 1


def test_checklist_in_bulgarian(empty_company: Company, owner: User) -> None:
    html = client_for(owner, "bg").get("/").content.decode()
    assert "Първи стъпки" in html
    assert "Поканете колега" in html


@pytest.mark.parametrize("n", [0, 40])
def test_checklist_is_one_query_whatever_the_data(
    empty_company: Company, owner: User, n: int, django_assert_num_queries: Callable[..., object]
) -> None:
    make_organizations(n)
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        first_steps(actor=owner, company=empty_company, role="owner")


# --- empty lists -------------------------------------------------------------------------


def test_empty_list_says_nothing_yet_and_offers_the_next_step(
    empty_company: Company, owner: User, viewer: User
) -> None:
    html = client_for(owner).get("/organizations/").content.decode()
    assert "Nothing matches these filters" not in html
    assert "No organizations yet." in html
    assert 'href="/organizations/new/">Add an organization</a>' in html
    assert "Invite your team" in html
    assert "Import" not in html  # no import page exists: no link to one
    viewer_html = client_for(viewer).get("/organizations/").content.decode()
    assert "No organizations yet." in viewer_html
    assert "Add an organization" not in viewer_html
    assert "Invite your team" not in viewer_html
    for path, text in (
        ("/contacts/", "No contacts yet."),
        ("/deals/", "No deals yet."),
    ):
        assert text in client_for(owner).get(path).content.decode()


def test_no_match_for_filters_offers_to_clear_them(empty_company: Company, owner: User) -> None:
    organization_create(actor=owner, name="Acme")
    response = client_for(owner).get("/organizations/?q=zzzz-nothing")
    html = response.content.decode()
    assert "Nothing matches these filters." in html
    assert '<a href="/organizations/">Clear filters</a>' in html
    assert "No organizations yet." not in html


def test_empty_list_in_bulgarian(empty_company: Company, owner: User) -> None:
    html = client_for(owner, "bg").get("/contacts/").content.decode()
    assert "Все още няма контакти." in html


def test_dashboard_query_count_with_checklist(empty_company: Company, owner: User) -> None:
    client = client_for(owner)
    client.get("/")
    with page_queries() as shown:
        client.get("/")
    client.post("/checklist/hide/")
    client.get("/")
    with page_queries() as hidden:
        client.get("/")
    # the checklist costs its one query whether it shows or not
    assert len(shown.captured_queries) == len(hidden.captured_queries)
