"""The merge pages: preselection, the review of dropped values before anything is written,
bad input (4xx, nothing written), the record page's "Merge with…" picker, the duplicate
warning's merge button and constant query counts; contacts and organizations."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, CustomField, Tag
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.services.contacts import contact_create, contact_delete, contact_update
from tenant_apps.crm.services.organizations import organization_create
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _pair(admin: User, owner: User) -> tuple[Contact, Contact]:
    """A complete contact and a fresh, nearly empty duplicate with one conflicting value."""
    org = organization_create(actor=admin, name="Acme")
    complete = contact_create(
        actor=admin,
        first_name="Ann",
        last_name="Lee",
        job_title="CTO",
        organization=org,
        owner=owner,
        source="Fair",
        emails=["ann@acme.test"],
    )
    fresh = contact_create(actor=admin, last_name="Lee", source="Web", emails=["ann@acme.test"])
    return complete, fresh


def _form(page: Any) -> dict[str, Any]:
    """The choices as the page preselected them, ready to post."""
    ctx = page.context
    data = {
        "other": ctx["other"].pk,
        "version_this": ctx["record"].version,
        "version_other": ctx["other"].version,
        "survivor": ctx["stays"],
    }
    data.update({f"field_{row.name}": row.pick for row in ctx["rows"]})
    return data


def _merges() -> int:
    return AuditEvent.objects.filter(action__endswith=".merged").count()


def test_merge_page_preselects_the_complete_record_and_its_values(
    in_alpha: Company, admin: User, owner: User
) -> None:
    """The defect: opened from the fresh duplicate, the page preselected the duplicate to
    stay and "—" for every field, so one click wiped the original's values."""
    complete, fresh = _pair(admin, owner)
    client = client_for(admin)
    page = client.get(f"/contacts/{fresh.pk}/merge/?other={complete.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["stays"] == "other"
    assert '<input type="radio" name="survivor" value="other" checked>' in html
    picks = {row.name: row.pick for row in page.context["rows"]}
    # every value only the complete record has is preselected; "Web" vs "Fair": the kept one
    assert picks == {
        "first_name": "other",
        "job_title": "other",
        "organization": "other",
        "owner": "other",
        "source": "other",
    }
    assert '<input type="radio" name="field_job_title" value="other" checked>' in html

    review = client.post(f"/contacts/{fresh.pk}/merge/", _form(page))
    assert review.status_code == 200
    assert [(r.label, r.dropped, r.kept) for r in review.context["dropped"]] == [
        ("Source", "Web", "Fair")
    ]
    assert "Value dropped" in review.content.decode()
    assert _merges() == 0  # the review writes nothing

    done = client.post(f"/contacts/{fresh.pk}/merge/", {**_form(page), "confirm": "1"})
    assert done.status_code == 302
    assert done["Location"] == f"/contacts/{complete.pk}/"
    complete.refresh_from_db()
    assert (complete.first_name, complete.job_title, complete.source) == ("Ann", "CTO", "Fair")
    assert complete.owner_id == owner.pk
    assert complete.organization is not None
    assert Contact.objects.get(pk=fresh.pk).deleted_at is not None


def test_organization_merge_preselection_and_review(in_alpha: Company, admin: User) -> None:
    complete = organization_create(
        actor=admin, name="Acme", city="Sofia", industry="Tools", website="https://acme.test"
    )
    fresh = organization_create(actor=admin, name="ACME Ltd", phone="+35921111111")
    client = client_for(admin)
    page = client.get(f"/organizations/{fresh.pk}/merge/?other={complete.pk}")
    assert page.context["stays"] == "other"
    picks = {row.name: row.pick for row in page.context["rows"]}
    assert picks == {
        "name": "other",
        "website": "other",
        "domain": "other",
        "phone": "this",
        "city": "other",
        "industry": "other",
    }
    review = client.post(f"/organizations/{fresh.pk}/merge/", _form(page))
    assert [(r.label, r.dropped, r.kept) for r in review.context["dropped"]] == [
        ("Name", "ACME Ltd", "Acme")
    ]
    # choosing the other name instead moves it to the kept column
    changed = {**_form(page), "field_name": "this"}
    review = client.post(f"/organizations/{fresh.pk}/merge/", changed)
    assert [(r.dropped, r.kept) for r in review.context["dropped"]] == [("Acme", "ACME Ltd")]
    done = client.post(f"/organizations/{fresh.pk}/merge/", {**changed, "confirm": "1"})
    assert done.status_code == 302
    complete.refresh_from_db()
    assert (complete.name, complete.city, complete.phone) == ("ACME Ltd", "Sofia", "+35921111111")


def _bad(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data) if data is not None else client.get(path)


def test_bad_input_answers_4xx_and_writes_nothing(
    in_alpha: Company, admin: User, member: User, viewer: User, owner: User, beta: Company
) -> None:
    complete, fresh = _pair(admin, owner)
    gone = contact_create(actor=admin, last_name="Gone")
    contact_delete(contact=gone, actor=admin)
    org = organization_create(actor=admin, name="Not a contact")
    with schema_context("beta"):  # an id that only the other company has
        beta_contact = Contact.objects.create(pk=10**6, last_name="Beta person")
    taken = set(Contact.objects.values_list("pk", flat=True))
    assert beta_contact.pk not in taken
    while org.pk in taken:  # an organization id that no contact has
        org = organization_create(actor=admin, name="Not a contact")
    client = client_for(admin)
    base = f"/contacts/{fresh.pk}/merge/"
    page = client.get(f"{base}?other={complete.pk}")
    form = _form(page)
    versions = (complete.version, fresh.version)
    cases: list[tuple[str, dict[str, Any] | None, int, str]] = [
        (f"{base}?other={fresh.pk}", None, 400, "cannot be merged with itself"),
        (f"{base}?other={gone.pk}", None, 400, "deleted record cannot be merged"),
        (f"{base}?other={org.pk}", None, 400, "no such record"),
        (f"{base}?other=abc", None, 400, "Choose the record"),
        (base, {**form, "other": gone.pk, "confirm": "1"}, 400, "deleted record"),
        (base, {**form, "other": fresh.pk, "confirm": "1"}, 400, "with itself"),
        (base, {**form, "survivor": "both", "confirm": "1"}, 400, "Choose which record"),
        (base, {**form, "field_job_title": "", "confirm": "1"}, 400, "Choose which record"),
        (base, {**form, "version_other": "", "confirm": "1"}, 400, "incomplete"),
        (f"/contacts/{gone.pk}/merge/?other={complete.pk}", None, 400, "deleted record"),
        (f"{base}?other={beta_contact.pk}", None, 400, "no such record"),
        (base, {**form, "other": beta_contact.pk, "confirm": "1"}, 400, "no such record"),
    ]
    for path, data, status, text in cases:
        response = _bad(client, path, data)
        assert response.status_code == status, (path, data)
        assert text in response.content.decode(), (path, data)
    for user in (viewer, member):
        assert _bad(client_for(user), f"{base}?other={complete.pk}").status_code == 403
        confirmed = {**form, "confirm": "1"}
        assert _bad(client_for(user), base, confirmed).status_code == 403
    assert _bad(client, f"/contacts/{10**9}/merge/").status_code == 404
    assert _merges() == 0
    complete.refresh_from_db()
    fresh.refresh_from_db()
    assert (complete.version, fresh.version) == versions
    assert complete.deleted_at is None
    assert fresh.deleted_at is None


def test_stale_form_answers_409_with_the_current_values(
    in_alpha: Company, admin: User, owner: User
) -> None:
    complete, fresh = _pair(admin, owner)
    client = client_for(admin)
    page = client.get(f"/contacts/{fresh.pk}/merge/?other={complete.pk}")
    contact_update(contact=complete, actor=admin, expected_version=complete.version, source="")
    for extra in ({}, {"confirm": "1"}):
        response = client.post(f"/contacts/{fresh.pk}/merge/", {**_form(page), **extra})
        assert response.status_code == 409
        assert "changed after you opened this page" in response.content.decode()
        # the page is shown again with the current values and versions
        assert response.context["step"] == "choose"
        assert response.context["other"].version == complete.version + 1
    assert _merges() == 0
    assert Contact.objects.get(pk=fresh.pk).deleted_at is None


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def _grow(admin: User, contact: Contact, n: int) -> None:
    for i in range(n):
        contact.emails.create(email=f"extra{i}@example.test")
        contact.phones.create(number=f"+3592{i:07d}")
        contact.tags.add(Tag.objects.get_or_create(name=f"t{i}")[0])
        activity_create(actor=admin, kind="task", subject=f"t{i}", contact=contact)


def test_merge_pages_cost_the_same_queries_whatever_the_records_hold(
    in_alpha: Company, admin: User, owner: User
) -> None:
    CustomField.objects.create(entity="contact", key="tier", label="Tier", type="text")
    client = client_for(admin)
    complete, fresh = _pair(admin, owner)
    paths = [
        f"/contacts/{fresh.pk}/merge/?other={complete.pk}",
        f"/contacts/{fresh.pk}/merge/",
        f"/contacts/{fresh.pk}/merge/?q=Lee",
    ]
    small = [_queries(client, p) for p in paths]
    _grow(admin, complete, 6)
    _grow(admin, fresh, 6)
    Contact.objects.filter(pk=complete.pk).update(custom_fields={"tier": "gold"})
    for i in range(5):
        contact_create(actor=admin, last_name="Lee", emails=["ann@acme.test"], first_name=f"{i}")
    assert [_queries(client, p) for p in paths] == small
    org = organization_create(actor=admin, name="Acme one", domain="acme.test")
    org2 = organization_create(actor=admin, name="Acme two", domain="acme.test")
    path = f"/organizations/{org.pk}/merge/?other={org2.pk}"
    before = _queries(client, path)
    for i in range(5):
        contact_create(actor=admin, last_name=f"P{i}", organization=org2)
    assert _queries(client, path) == before


def test_record_page_offers_merge_with_a_search_picker(
    in_alpha: Company, admin: User, member: User, owner: User
) -> None:
    complete, fresh = _pair(admin, owner)
    page = client_for(admin).get(f"/contacts/{fresh.pk}/")
    html = page.content.decode()
    assert "Merge with…" in html
    assert f'hx-get="/contacts/{fresh.pk}/merge/"' in html
    assert "<script>" not in html
    assert "Merge with…" not in client_for(member).get(f"/contacts/{fresh.pk}/").content.decode()
    # opening the picker lists the likely duplicates, typing searches; both are fragments
    hx = client_for(admin)
    dupes = hx.get(f"/contacts/{fresh.pk}/merge/", HTTP_HX_REQUEST="true")
    assert "<html" not in dupes.content.decode()
    assert [c.pk for c in dupes.context["candidates"]] == [complete.pk]
    found = hx.get(f"/contacts/{fresh.pk}/merge/?q=ann", HTTP_HX_REQUEST="true")
    assert [c.pk for c in found.context["candidates"]] == [complete.pk]
    assert f'href="/contacts/{fresh.pk}/merge/?other={complete.pk}"' in found.content.decode()
    too_long = hx.get(f"/contacts/{fresh.pk}/merge/?q={'x' * 201}", HTTP_HX_REQUEST="true")
    assert too_long.status_code == 400
    org = organization_create(actor=admin, name="Zebra Works")
    organization_create(actor=admin, name="Zebra Works Ltd")
    orgs = hx.get(f"/organizations/{org.pk}/merge/?q=zebra", HTTP_HX_REQUEST="true")
    assert [c.title for c in orgs.context["candidates"]] == ["Zebra Works Ltd"]


def test_duplicate_warning_creates_then_opens_the_merge_page(
    in_alpha: Company, admin: User, member: User
) -> None:
    existing = contact_create(actor=admin, last_name="Old", job_title="CFO", emails=["s@x.test"])
    data = {"last_name": "New", "lifecycle_stage": "lead", "email_0": "S@x.test"}
    data["primary_email"] = "0"
    client = client_for(admin)
    warned = client.post("/contacts/new/", data)
    assert warned.status_code == 409
    assert f'name="merge_with" value="{existing.pk}"' in warned.content.decode()
    created = client.post("/contacts/new/", {**data, "merge_with": str(existing.pk)})
    assert created.status_code == 302
    new = Contact.objects.get(last_name="New")
    assert created["Location"] == f"/contacts/{new.pk}/merge/?other={existing.pk}"
    page = client.get(created["Location"])
    assert page.context["stays"] == "other"  # the older, more complete one
    # members cannot merge: no button, and the same post just creates
    warned = client_for(member).post("/contacts/new/", {**data, "last_name": "Newer"})
    assert 'name="merge_with"' not in warned.content.decode()


def test_merged_record_history_reads_in_words(in_alpha: Company, admin: User, owner: User) -> None:
    complete, fresh = _pair(admin, owner)
    for i in range(2):
        activity_create(actor=admin, kind="task", subject=f"t{i}", contact=fresh)
    client = client_for(admin)
    page = client.get(f"/contacts/{fresh.pk}/merge/?other={complete.pk}")
    client.post(f"/contacts/{fresh.pk}/merge/", {**_form(page), "confirm": "1"})
    html = client.get(f"/contacts/{complete.pk}/").content.decode()
    assert "Merged Lee into this record: moved 2 activities." in html
    assert "Not kept: Source “Web” (kept “Fair”)." in html
    assert "Activities" not in html.split('id="timeline"')[1]
