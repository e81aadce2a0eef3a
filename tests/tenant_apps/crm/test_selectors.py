"""List selectors cost a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Organization
from tenant_apps.crm.selectors import contact_list, deal_list, organization_list
from tenant_apps.crm.services import organization_create, organization_delete
from tests.tenant_apps.crm.factories import make_contacts, make_deals, make_organizations

pytestmark = pytest.mark.django_db


def _touch_organization(o: Organization) -> None:
    _ = (o.owner, [t.name for t in o.tags.all()])


def _touch_contact(c: object) -> None:
    _ = (
        c.owner,  # type: ignore[attr-defined]
        c.organization,  # type: ignore[attr-defined]
        [e.email for e in c.emails.all()],  # type: ignore[attr-defined]
        [p.number for p in c.phones.all()],  # type: ignore[attr-defined]
        [t.name for t in c.tags.all()],  # type: ignore[attr-defined]
    )


def _touch_deal(d: object) -> None:
    _ = (
        d.owner,  # type: ignore[attr-defined]
        d.pipeline.name,  # type: ignore[attr-defined]
        d.stage.name,  # type: ignore[attr-defined]
        d.organization,  # type: ignore[attr-defined]
        [c.last_name for c in d.contacts.all()],  # type: ignore[attr-defined]
    )


CASES: list[tuple[Callable, Callable, Callable, int]] = [
    # membership check + rows + one query per prefetch
    (organization_list, make_organizations, _touch_organization, 3),
    (contact_list, make_contacts, _touch_contact, 5),
    (deal_list, make_deals, _touch_deal, 3),
]


@pytest.mark.parametrize("rows", [3, 30])
@pytest.mark.parametrize(("selector", "make", "touch", "queries"), CASES)
def test_query_count_does_not_grow(
    in_alpha: Company,
    member: User,
    django_assert_num_queries: Callable,
    selector: Callable,
    make: Callable,
    touch: Callable,
    queries: int,
    rows: int,
) -> None:
    make(rows, owner=member)
    with django_assert_num_queries(queries):
        items = list(selector(actor=member))
        for item in items:
            touch(item)
    assert len(items) == rows


def test_lists_hide_deleted_and_need_membership(alpha: Company, member: User, admin: User) -> None:
    with schema_context("alpha"):
        org = organization_create(actor=member, name="Binned")
        organization_delete(organization=org, actor=admin)
        assert org not in organization_list(actor=member)
        assert org in organization_list(actor=member, deleted=True)
    with schema_context("beta"), pytest.raises(PermissionDenied):
        organization_list(actor=member)
