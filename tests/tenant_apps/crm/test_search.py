"""The search selector: both alphabets, typos, emails and domains, ranking, grouping,
deleted records, access, query count and isolation between companies."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.search import QueryTooLong, prefix_tsquery, search
from tenant_apps.crm.services.contacts import contact_create, contact_delete
from tenant_apps.crm.services.deals import deal_create
from tenant_apps.crm.services.organizations import organization_create
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db


def _titles(hits: list) -> list[str]:
    return [h.title for h in hits]


@pytest.fixture
def ivan(in_alpha: Company, member: User) -> Contact:
    return contact_create(
        actor=member,
        first_name="Иван",
        last_name="Петров",
        emails=["i.petrov@balkan-trade.bg"],
        phones=[{"number": "+359 88 812 3456"}],
    )


@pytest.mark.parametrize(
    "query", ["ivan", "Иван", "ИВАН", "petrov", "Петр", "ivan petrov", "Иван Петров", "ivn"]
)
def test_cyrillic_name_is_found_in_both_alphabets_and_with_a_typo(
    ivan: Contact, member: User, query: str
) -> None:
    Contact.objects.create(first_name="Мария", last_name="Георгиева")
    results = search(actor=member, query=query)
    assert ivan.pk in [h.pk for h in results.contacts]
    assert "Мария Георгиева" not in _titles(results.contacts)


def test_accents_are_ignored(in_alpha: Company, member: User) -> None:
    contact_create(actor=member, first_name="José", last_name="García")
    assert _titles(search(actor=member, query="jose garcia").contacts) == ["José García"]
    assert _titles(search(actor=member, query="JOSÉ").contacts) == ["José García"]


def test_contact_by_email_and_phone(ivan: Contact, member: User) -> None:
    assert [h.pk for h in search(actor=member, query="i.petrov@balkan").contacts] == [ivan.pk]
    assert [h.pk for h in search(actor=member, query="+35988812").contacts] == [ivan.pk]


def test_organization_by_domain_vat_and_city(in_alpha: Company, member: User) -> None:
    org = organization_create(
        actor=member,
        name="Балкан Трейд ЕООД",
        website="https://www.balkan-trade.bg",
        vat_number="BG123456789",
        city="Пловдив",
    )
    for query in ("balkan-trade.bg", "balkan-trade", "BG1234", "plovdiv", "Балкан"):
        assert [h.pk for h in search(actor=member, query=query).organizations] == [org.pk], query


def test_prefix_and_exact_matches_rank_before_similar_ones(in_alpha: Company, member: User) -> None:
    for first, last in [("Ivo", "Ivanov"), ("Ivanka", "Dimitrova"), ("Ivan", "Kolev")]:
        contact_create(actor=member, first_name=first, last_name=last)
    titles = _titles(search(actor=member, query="ivan").contacts)
    # the exact word first, then the prefix matches; "Ivo" (trigram only) is not a match
    assert titles[0] == "Ivan Kolev"
    assert set(titles) == {"Ivan Kolev", "Ivanka Dimitrova", "Ivo Ivanov"}
    # a missing letter finds the name through trigrams, with no full-text match
    assert "Ivan Kolev" in _titles(search(actor=member, query="kolv").contacts)


def test_groups_limit_and_deleted_records(in_alpha: Company, member: User, admin: User) -> None:
    org = organization_create(actor=member, name="Northwind Ltd")
    deal = deal_create(
        actor=member, name="Northwind renewal", pipeline=default_pipeline(), organization=org
    )
    people = [contact_create(actor=member, last_name=f"Northwind {i}") for i in range(4)]
    contact_delete(contact=people[0], actor=admin)
    results = search(actor=member, query="northwind", limit_per_group=2)
    assert [kind for kind, _hits in results.groups] == ["organization", "contact", "deal"]
    assert [h.pk for h in results.organizations] == [org.pk]
    assert [h.pk for h in results.deals] == [deal.pk]
    assert results.deals[0].subtitle.startswith("Northwind Ltd")
    assert len(results.contacts) == 2
    everyone = search(actor=member, query="northwind", limit_per_group=10).contacts
    assert people[0].pk not in [h.pk for h in everyone]
    assert len(everyone) == 3


def test_short_empty_and_long_queries(in_alpha: Company, member: User) -> None:
    Organization.objects.create(name="A")
    assert search(actor=member, query="").count == 0
    assert search(actor=member, query=" a ").count == 0
    with pytest.raises(QueryTooLong):
        search(actor=member, query="x" * 201)


@pytest.mark.parametrize("query", ["'", "a:b", "x & y | !z", "\\", "(((", "o'connor", "%_"])
def test_operators_and_quotes_in_the_query_are_text(
    in_alpha: Company, member: User, query: str
) -> None:
    contact_create(actor=member, first_name="Liam", last_name="O'Connor")
    results = search(actor=member, query=query)  # no syntax error
    if query == "o'connor":
        assert _titles(results.contacts) == ["Liam O'Connor"]


def test_prefix_tsquery_quotes_every_word() -> None:
    assert prefix_tsquery("ivan pet") == "'ivan':* & 'pet':*"
    assert prefix_tsquery("o'c a\\b !!") == "'o''c':* & 'a\\\\b':*"


def test_viewer_may_search_and_strangers_may_not(
    ivan: Contact, viewer: User, beta: Company
) -> None:
    assert [h.pk for h in search(actor=viewer, query="ivan").contacts] == [ivan.pk]
    stranger = beta.memberships.get(role="owner").user
    with pytest.raises(PermissionDenied):
        search(actor=stranger, query="ivan")


def test_three_queries_whatever_the_number_of_matches(
    in_alpha: Company, member: User, django_assert_num_queries: object
) -> None:
    pipeline = default_pipeline()
    for n in range(3):
        org = Organization.objects.create(name=f"Acme {n}")
        Contact.objects.create(first_name="Acme", last_name=f"Person {n}", organization=org)
        Deal.objects.create(
            name=f"Acme deal {n}", pipeline=pipeline, stage=pipeline.stages.get(position=1)
        )
    with django_assert_num_queries(3):  # type: ignore[operator]
        few = search(actor=member, query="acme", limit_per_group=50)
    for n in range(3, 30):
        org = Organization.objects.create(name=f"Acme {n}")
        Contact.objects.create(first_name="Acme", last_name=f"Person {n}", organization=org)
        Deal.objects.create(
            name=f"Acme deal {n}", pipeline=pipeline, stage=pipeline.stages.get(position=1)
        )
    with django_assert_num_queries(3):  # type: ignore[operator]
        many = search(actor=member, query="acme", limit_per_group=50)
    assert (few.count, many.count) == (9, 90)


def test_other_companies_records_are_never_found(
    in_alpha: Company, member: User, beta: Company
) -> None:
    with schema_context("beta"):
        Organization.objects.create(name="Бета Секрет ООД")
        Contact.objects.create(first_name="Секрет", last_name="Бетов")
    Organization.objects.create(name="Alpha Secret Ltd")
    results = search(actor=member, query="sekret")
    assert results.count == 0
    assert _titles(search(actor=member, query="secret").organizations) == ["Alpha Secret Ltd"]
