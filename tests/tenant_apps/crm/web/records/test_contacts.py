"""Contact screens: create/edit forms, bad input, stale edits, detail, quick add, roles."""

from __future__ import annotations

import pytest

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, CustomField, Note, Organization
from tenant_apps.crm.services.contacts import contact_create, contact_update
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def _post(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": "Ivan",
        "last_name": "Petrov",
        "job_title": "",
        "lifecycle_stage": "lead",
        "source": "",
        "owner": "",
        "email_0": "ivan@example.test",
        "email_1": "",
        "primary_email": "0",
        "phone_0": "+359 888 123 456",
        "phone_label_0": "mobile",
        "phone_1": "",
        "phone_label_1": "",
    }
    data.update(overrides)
    return data


def test_create_with_several_emails_and_phones(in_alpha: Company, member: User) -> None:
    client = client_for(member)
    response = client.post(
        "/contacts/new/",
        _post(
            email_1="second@example.test",
            primary_email="1",
            phone_1="0035921234567",
            phone_label_1="office",
            owner=str(member.pk),
        ),
    )
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Petrov")
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert [(e.email, e.is_primary) for e in contact.emails.all()] == [
        ("second@example.test", True),
        ("ivan@example.test", False),
    ]
    assert [(p.number, p.label) for p in contact.phones.all()] == [
        ("+359888123456", "mobile"),
        ("+35921234567", "office"),
    ]
    assert contact.owner_id == member.pk


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email_0": "not-an-email"}, "email_0", "Enter a valid email address."),
        ({"phone_0": "12345"}, "phone_0", "Enter a phone number with its country code"),
        ({"last_name": ""}, "last_name", "This field is required."),
        ({"lifecycle_stage": "friend"}, "lifecycle_stage", "Select a valid choice."),
        ({"owner": "999999"}, "owner", "Select a valid choice."),
        ({"organization": "999999"}, "organization", "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_field_by_field(
    in_alpha: Company, member: User, overrides: dict, field: str, message: str
) -> None:
    response = client_for(member).post("/contacts/new/", _post(**overrides))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not Contact.objects.exists()


def test_owner_must_be_a_member_of_this_company(
    in_alpha: Company, member: User, beta: Company
) -> None:
    stranger = beta.memberships.get(role="owner").user
    response = client_for(member).post("/contacts/new/", _post(owner=str(stranger.pk)))
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not Contact.objects.exists()


def test_custom_fields_are_validated_by_type(in_alpha: Company, member: User) -> None:
    CustomField.objects.create(entity="contact", key="score", label="Score", type="number")
    CustomField.objects.create(entity="contact", key="born", label="Born", type="date")
    CustomField.objects.create(
        entity="contact", key="tier", label="Tier", type="choice", choices=["gold", "silver"]
    )
    client = client_for(member)
    response = client.post(
        "/contacts/new/", _post(cf_score="many", cf_born="2024-02-30", cf_tier="bronze")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["cf_score"] == ["Enter a number."]
    assert errors["cf_born"] == ["Enter a valid date (YYYY-MM-DD)."]
    assert errors["cf_tier"] == ["Choose one of the offered values."]
    assert not Contact.objects.exists()
    response = client.post(
        "/contacts/new/", _post(cf_score="12,5", cf_born="1990-05-01", cf_tier="gold")
    )
    assert response.status_code == 302
    assert Contact.objects.get().custom_fields == {
        "score": 12.5,
        "born": "1990-05-01",
        "tier": "gold",
    }


def test_xss_in_every_text_field_is_stored_as_text_and_shown_escaped(
    in_alpha: Company, member: User
) -> None:
    client = client_for(member)
    response = client.post(
        "/contacts/new/",
        _post(first_name=XSS, last_name=XSS, job_title=XSS, source=XSS, phone_label_0=XSS[:32]),
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.last_name == XSS
    assert contact.job_title == XSS
    assert contact.source == XSS
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "<script>alert(1)" not in page
    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_viewer_cannot_create_or_edit(in_alpha: Company, viewer: User, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    client = client_for(viewer)
    assert client.get("/contacts/new/").status_code == 403
    assert client.post("/contacts/new/", _post()).status_code == 403
    assert client.post(f"/contacts/{contact.pk}/edit/", _post(version="1")).status_code == 403
    assert client.post(f"/contacts/{contact.pk}/notes/", {"body": "x"}).status_code == 403
    assert Contact.objects.count() == 1
    assert not Note.objects.exists()
    assert client.get(f"/contacts/{contact.pk}/").status_code == 200


def test_edit_saves_and_audits(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe", emails=["a@example.test"])
    client = client_for(member)
    page = client.get(f"/contacts/{contact.pk}/edit/")
    assert page.status_code == 200
    assert page.context["form"]["email_0"].value() == "a@example.test"
    response = client.post(
        f"/contacts/{contact.pk}/edit/",
        _post(version="1", last_name="Dough", email_0="a@example.test"),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_name == "Dough"
    assert contact.version == 2
    assert AuditEvent.objects.filter(
        action="crm.contact.updated", object_id=str(contact.pk)
    ).exists()


def test_stale_edit_is_refused_with_who_when_and_both_values(
    in_alpha: Company, member: User, admin: User
) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    admin.full_name = "Ana Admin"
    admin.save()
    contact_update(contact=contact, actor=admin, expected_version=1, last_name="Changed")
    response = client_for(member).post(
        f"/contacts/{contact.pk}/edit/", _post(version="1", last_name="Mine")
    )
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.last_name == "Changed"
    assert contact.version == 2
    stale = response.context["stale"]
    assert stale.actor == admin
    assert ("Last name", "Changed", "Mine") in stale.rows
    html = response.content.decode()
    assert "Ana Admin changed it on" in html
    # the re-shown form carries the current version: saving again is a deliberate overwrite
    assert response.context["form"]["version"].value() == "2"


def test_detail_shows_fields_related_deals_and_timeline(in_alpha: Company, member: User) -> None:
    org = Organization.objects.create(name="Acme")
    contact = contact_create(
        actor=member, last_name="Doe", organization=org, emails=["d@example.test"]
    )
    page = client_for(member).get(f"/contacts/{contact.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "d@example.test" in html
    assert "Acme" in html
    assert [e.action for e in page.context["timeline"].entries] == ["created"]


def test_quick_add_task_and_note_without_js(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    client = client_for(member)
    response = client.post(
        f"/contacts/{contact.pk}/tasks/",
        {"subject": "Call back", "due_at": "2030-01-02T10:30", "assignee": str(member.pk)},
    )
    assert response.status_code == 302
    task = Activity.objects.get()
    assert (task.kind, task.subject, task.contact_id, task.assignee_id) == (
        "task",
        "Call back",
        contact.pk,
        member.pk,
    )
    assert (
        client.post(f"/contacts/{contact.pk}/notes/", {"body": "Hello *there*"}).status_code == 302
    )
    assert Note.objects.get().body == "<p>Hello *there*</p>"


def test_quick_add_with_htmx_answers_the_panel(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    client = client_for(member)
    response = client.post(
        f"/contacts/{contact.pk}/notes/", {"body": "<b>bold</b>"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="record-activity-panel"' in html
    assert "<b>bold</b>" in html
    assert "<html" not in html
    bad = client.post(f"/contacts/{contact.pk}/tasks/", {"subject": ""}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()
    bad_owner = client.post(
        f"/contacts/{contact.pk}/tasks/", {"subject": "x", "assignee": str(make_user().pk)}
    )
    assert bad_owner.status_code == 400
    assert not Activity.objects.exists()


def test_multi_and_url_custom_fields(in_alpha: Company, member: User) -> None:
    CustomField.objects.create(
        entity="contact", key="langs", label="Languages", type="multi", choices=["bg", "en"]
    )
    CustomField.objects.create(entity="contact", key="site", label="Site", type="url")
    client = client_for(member)
    page = client.get("/contacts/new/").content.decode()
    assert 'name="cf_langs"' in page
    assert "multiple" in page
    assert 'type="url" name="cf_site"' in page
    bad = client.post("/contacts/new/", _post(cf_langs=["bg", "xx"], cf_site="javascript:alert(1)"))
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"cf_langs", "cf_site"}
    assert not Contact.objects.exists()
    good = client.post("/contacts/new/", _post(cf_langs=["bg", "en"], cf_site="https://e.test"))
    assert good.status_code == 302
    assert Contact.objects.get().custom_fields == {"langs": ["bg", "en"], "site": "https://e.test"}
