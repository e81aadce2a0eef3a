"""Users with a role in a company, and CRM rows made directly (not through services)."""

from __future__ import annotations

from typing import Any

from shared_apps.accounts.models import Membership, User
from shared_apps.tenants.models import Company
from tenant_apps.crm.contact_points import contacts_points_refresh
from tenant_apps.crm.models import Contact, ContactEmail, Deal, Organization, Pipeline, Tag
from tests.factories import make_user


def member_of(company: Company, role: str, **kwargs: Any) -> User:
    user = make_user(**kwargs)
    Membership.objects.create(user=user, company=company, role=role)
    return user


def default_pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def make_organizations(n: int, *, owner: User | None = None) -> list[Organization]:
    tag = Tag.objects.get_or_create(name="bulk")[0]
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Org {i}", owner=owner) for i in range(n)
    )
    for org in orgs:
        org.tags.add(tag)
    return orgs


def make_contacts(n: int, *, owner: User | None = None) -> list[Contact]:
    org = Organization.objects.create(name="Employer")
    tag = Tag.objects.get_or_create(name="bulk")[0]
    contacts = Contact.objects.bulk_create(
        Contact(last_name=f"Person {i}", organization=org, owner=owner) for i in range(n)
    )
    ContactEmail.objects.bulk_create(
        ContactEmail(contact=c, email=f"p{c.pk}@example.test", is_primary=True) for c in contacts
    )
    for c in contacts:
        c.tags.add(tag)
        c.phones.create(number="+35921234567")
    # as the services do after writing emails and phones
    contacts_points_refresh(Contact.objects.filter(pk__in=[c.pk for c in contacts]))
    return contacts


def make_deals(n: int, *, owner: User | None = None) -> list[Deal]:
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position").first()
    org = Organization.objects.create(name="Buyer")
    contact = Contact.objects.create(last_name="Buyer person")
    deals = Deal.objects.bulk_create(
        Deal(name=f"Deal {i}", pipeline=pipeline, stage=stage, organization=org, owner=owner)
        for i in range(n)
    )
    for d in deals:
        d.contacts.add(contact)
    return deals
