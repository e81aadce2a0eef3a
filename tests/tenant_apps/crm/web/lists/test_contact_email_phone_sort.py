"""Sorting the contact list by email or phone: from the contact's own indexed columns, in the
same order as the subquery over the email and phone rows it replaced."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db.models import F, OuterRef, Subquery
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, ContactEmail, ContactPhone
from tenant_apps.crm.services.contacts import contact_create

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def _old_order(key: str, *, descending: bool) -> list[int]:
    """The order the list had when it sorted by a subquery over the email and phone rows."""
    if key == "email":
        value = Subquery(
            ContactEmail.objects.filter(contact_id=OuterRef("pk"))
            .order_by("-is_primary", "id")
            .values("email")[:1]
        )
    else:
        value = Subquery(
            ContactPhone.objects.filter(contact_id=OuterRef("pk"))
            .order_by("id")
            .values("number")[:1]
        )
    qs = Contact.objects.filter(deleted_at__isnull=True).annotate(k=value)
    order = [F("k").desc(), F("pk").desc()] if descending else [F("k").asc(), F("pk").asc()]
    return list(qs.order_by(*order).values_list("pk", flat=True))


@pytest.mark.parametrize("sort", ["email", "-email", "phone", "-phone"])
def test_list_sort_keeps_the_old_order(
    in_alpha: Company, member: User, client_for: ClientFor, sort: str
) -> None:
    """NULLs last ascending (first descending), ties by id, over keyset pages of 25."""
    for i in range(31):
        emails = [] if i % 5 == 0 else [f"{'ab'[i % 2]}{i % 4}@acme.test"]
        phones = [] if i % 3 == 0 else [{"number": f"+3598880000{i % 4}"}]
        contact_create(actor=member, last_name=f"Sorted {i}", emails=emails, phones=phones)
    client = client_for(member)
    url = f"/contacts/?sort={sort}&per_page=25&cols=name,email,phone"
    forward: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        forward += [row.pk for row in response.context["rows"]]
        url = response.context["next_url"]
    assert forward == _old_order(sort.lstrip("-"), descending=sort.startswith("-"))
    backward: list[int] = []
    url = f"/contacts/?sort={sort}&per_page=25&page=last"
    while url:
        response = client.get(url)
        backward = [row.pk for row in response.context["rows"]] + backward
        url = response.context["previous_url"]
    assert backward == forward
