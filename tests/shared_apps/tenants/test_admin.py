"""The platform admin's company page: name, billing address, status and the two-factor rule
change only through audited company services, with the staff member as actor."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return make_user(email="staff@platform.test", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff: User) -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


def _url(company: Company) -> str:
    return f"/admin/tenants/company/{company.pk}/change/"


def _form(client: Client, company: Company, **changes: Any) -> dict[str, Any]:
    """The change form as the page renders it (with the domains inline), then `changes`."""
    response = client.get(_url(company))
    assert response.status_code == 200
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form.initial.get(name)
        if value is not None and value is not False:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, "")
        for sub in formset.forms:
            data[sub.add_prefix("id")] = sub.instance.pk
            data[sub.add_prefix(formset.fk.name)] = company.pk
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def _events(since: int) -> list[PlatformEvent]:
    return list(PlatformEvent.objects.filter(pk__gt=since).order_by("pk"))


def _mark() -> int:
    last = PlatformEvent.objects.order_by("-pk").first()
    return last.pk if last is not None else 0


def test_each_change_goes_through_its_audited_service(
    admin_client: Client, staff: User, alpha: Company, beta: Company
) -> None:
    mark = _mark()
    data = _form(
        admin_client,
        alpha,
        name="Alpha Renamed",
        status=Company.Status.DISABLED,
        require_mfa="on",
    )
    response = admin_client.post(_url(alpha), data)
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.name, alpha.status, alpha.require_mfa) == (
        "Alpha Renamed",
        Company.Status.DISABLED,
        True,
    )
    events = {event.action: event for event in _events(mark)}
    assert set(events) == {"company.changed", "company.status_set", "company.require_mfa_set"}
    assert {(e.actor_id, e.company_id) for e in events.values()} == {(staff.pk, alpha.pk)}
    assert events["company.changed"].data == {"name": ["Alpha Ltd", "Alpha Renamed"]}
    assert events["company.status_set"].data == {"status": ["active", "disabled"]}
    assert events["company.require_mfa_set"].data == {"require_mfa": True}
    # beta is untouched
    beta.refresh_from_db()
    assert (beta.status, beta.require_mfa) == (Company.Status.ACTIVE, False)


def test_saving_unchanged_writes_no_audit_row(admin_client: Client, alpha: Company) -> None:
    mark = _mark()
    assert admin_client.post(_url(alpha), _form(admin_client, alpha)).status_code == 302
    assert _events(mark) == []


@pytest.mark.parametrize(
    "changes",
    [{"name": ""}, {"billing_email": "not-an-address"}, {"status": "exploded"}],
)
def test_bad_input_shows_errors_and_writes_nothing(
    admin_client: Client, alpha: Company, changes: dict[str, str]
) -> None:
    mark = _mark()
    data = _form(admin_client, alpha, require_mfa="on", **changes)
    response = admin_client.post(_url(alpha), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    alpha.refresh_from_db()
    assert (alpha.name, alpha.require_mfa) == ("Alpha Ltd", False)
    assert _events(mark) == []


def test_companies_are_not_deleted_or_added_here(admin_client: Client, alpha: Company) -> None:
    assert admin_client.get(f"/admin/tenants/company/{alpha.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/tenants/company/add/").status_code == 403
    assert "delete_selected" not in admin_client.get("/admin/tenants/company/").content.decode()
