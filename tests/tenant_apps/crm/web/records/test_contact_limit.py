"""The plan's contact limit on the contact screens: the contact over the limit is refused
with a form error naming the limit and the plan that lifts it (HTTP 400, nothing saved)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from shared_apps.accounts.models import User
from shared_apps.billing.models import Plan
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact
from tenant_apps.crm.services.contacts import contact_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _post(last_name: str, **extra: str) -> dict[str, str]:
    return {
        "last_name": last_name,
        "lifecycle_stage": "lead",
        "email_0": "",
        "primary_email": "0",
        "phone_0": "",
        **extra,
    }


def _on_starter_with(company: Company, contacts: int) -> None:
    Plan.objects.filter(slug="starter").update(contacts=contacts)
    Company.objects.filter(pk=company.pk).update(plan=Plan.objects.get(slug="starter"))


def test_the_contact_over_the_limit_is_a_form_error(in_alpha: Company, member: User) -> None:
    _on_starter_with(in_alpha, 2)
    contact_create(actor=member, last_name="One")
    client = client_for(member)
    assert client.post("/contacts/new/", _post("Two")).status_code == 302
    refused = client.post("/contacts/new/", _post("Three", first_name="Ivan"))
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == [
        "Your Starter plan allows 2 contacts. The Pro plan allows 50,000 contacts."
    ]
    html = refused.content.decode()
    assert "Your Starter plan allows 2 contacts. The Pro plan allows 50,000 contacts." in html
    assert 'value="Ivan"' in html  # the input is kept
    assert Contact.objects.count() == 2
    assert not Contact.objects.filter(last_name="Three").exists()


def test_deleted_contacts_free_their_place(in_alpha: Company, admin: User) -> None:
    _on_starter_with(in_alpha, 1)
    first = contact_create(actor=admin, last_name="One")
    client = client_for(admin)
    assert client.post("/contacts/new/", _post("Two")).status_code == 400
    assert client.post(f"/contacts/{first.pk}/delete/").status_code == 302
    assert client.post("/contacts/new/", _post("Two")).status_code == 302
    # Restoring the first would pass the limit: refused, it stays in the bin.
    restore = client.post(f"/contacts/{first.pk}/restore/")
    assert restore.status_code == 302  # back to the record, with the message
    shown = [str(m) for m in get_messages(restore.wsgi_request)]
    assert shown[-1] == "Your Starter plan allows 1 contact. The Pro plan allows 50,000 contacts."
    first.refresh_from_db()
    assert first.deleted_at is not None
