"""Logging calls, meetings and emails (and adding tasks) from record pages and from
`/activities/new/`: forms, defaults, European dates, errors, roles, other companies' ids,
the timeline's details (escaped) and its kind filter, the activities list."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, ActivityParticipant, Contact, Deal, Organization
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.services.contacts import contact_create
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for
from tests.tenant_apps.crm.factories import default_pipeline, member_of

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'
SOFIA = zoneinfo.ZoneInfo("Europe/Sofia")


def _deal() -> Deal:
    pipeline = default_pipeline()
    return Deal.objects.create(
        name="Big", pipeline=pipeline, stage=pipeline.stages.order_by("position")[0]
    )


def _records() -> dict[str, Organization | Contact | Deal]:
    org = Organization.objects.create(name="Acme")
    return {
        "organizations": org,
        "contacts": Contact.objects.create(last_name="Doe", organization=org),
        "deals": _deal(),
    }


@pytest.mark.parametrize("base", ["organizations", "contacts", "deals"])
def test_log_a_call_meeting_and_email_from_every_record_page(
    in_alpha: Company, member: User, admin: User, base: str
) -> None:
    record = _records()[base]
    guest = Contact.objects.create(first_name="Ana", last_name="Guest")
    client = client_for(member)
    url = f"/{base}/{record.pk}"
    call = client.post(
        f"{url}/calls/",
        {
            "call-subject": "Intro",
            "call-call_outcome": "no_answer",
            "call-duration_minutes": "4",
            "call-assignee": str(member.pk),
        },
    )
    assert call.status_code == 302, call.content.decode()[:2000]
    meeting = client.post(
        f"{url}/meetings/",
        {
            "meeting-subject": "Kick-off",
            "meeting-starts_at": "24.12.2030 09:30",
            "meeting-ends_at": "24.12.2030 11:00",
            "meeting-location": "Sofia office",
            "meeting-participant_contacts": [str(guest.pk)],
            "meeting-participant_users": [str(member.pk), str(admin.pk)],
            "meeting-assignee": str(member.pk),
        },
    )
    assert meeting.status_code == 302, meeting.content.decode()[:2000]
    email = client.post(
        f"{url}/emails/",
        {
            "email-email_direction": "in",
            "email-subject": "Re: offer",
            "email-description": "Looks good",
            "email-assignee": str(member.pk),
        },
    )
    assert email.status_code == 302
    rows = {a.kind: a for a in Activity.objects.all()}
    link = {"organizations": "organization", "contacts": "contact", "deals": "deal"}[base]
    assert all(getattr(a, f"{link}_id") == record.pk for a in rows.values())
    assert (rows["call"].call_outcome, rows["call"].duration_minutes) == ("no_answer", 4)
    assert rows["meeting"].starts_at == datetime.datetime(2030, 12, 24, 9, 30, tzinfo=SOFIA)
    assert rows["meeting"].duration_minutes == 90
    assert rows["meeting"].location == "Sofia office"
    assert sorted(
        ActivityParticipant.objects.values_list("contact_id", "user_id"), key=str
    ) == sorted([(guest.pk, None), (None, member.pk), (None, admin.pk)], key=str)
    assert (rows["email"].email_direction, rows["email"].description) == ("in", "Looks good")
    assert {a.assignee_id for a in rows.values()} == {member.pk}
    assert AuditEvent.objects.filter(action="crm.activity.created").count() == 3
    page = client.get(f"{url}/").content.decode()
    for text in ("No answer", "4 minutes", "24.12.2030 09:30", "11:00", "Sofia office"):
        assert text in page
    assert "Ana Guest" in page
    assert "Incoming" in page
    assert "Looks good" in page


def test_the_timeline_escapes_every_logged_field(
    in_alpha: Company, member: User, admin: User
) -> None:
    admin.full_name = XSS
    admin.save()
    contact = Contact.objects.create(first_name=XSS, last_name="Doe")
    start = timezone.now()
    activity_create(
        actor=member,
        kind="meeting",
        subject=XSS,
        starts_at=start,
        location=XSS,
        description=XSS,
        participant_contacts=[contact.pk],
        participant_users=[admin.pk],
        assignee=admin,
        contact=contact,
    )
    activity_create(
        actor=member,
        kind="email",
        subject=XSS,
        email_direction="out",
        description=XSS,
        contact=contact,
    )
    activity_create(
        actor=member,
        kind="call",
        subject=XSS,
        call_outcome="busy",
        description=XSS,
        contact=contact,
    )
    html = client_for(member).get(f"/contacts/{contact.pk}/").content.decode()
    assert "<script>alert(1)" not in html
    assert 'onerror="alert(2)"' not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 9


def test_bad_input_is_a_400_with_the_message_on_its_input(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    client = client_for(member)
    cases = [
        (
            "calls",
            {"call-subject": "S", "call-call_outcome": "busy", "call-duration_minutes": "-3"},
            "call",
            "duration_minutes",
            "Enter a duration from 0 to 1440 minutes (a day).",
        ),
        (
            "calls",
            {
                "call-subject": "S",
                "call-call_outcome": "busy",
                "call-duration_minutes": "99999999999999",
            },
            "call",
            "duration_minutes",
            "Enter a duration from 0 to 1440 minutes (a day).",
        ),
        (
            "calls",
            {"call-subject": "S", "call-call_outcome": "perhaps"},
            "call",
            "call_outcome",
            "Select a valid choice.",
        ),
        (
            "calls",
            {"call-subject": "S", "call-call_outcome": ""},
            "call",
            "call_outcome",
            "This field is required.",
        ),
        (
            "meetings",
            {
                "meeting-subject": "S",
                "meeting-starts_at": "24.12.2030 10:00",
                "meeting-ends_at": "24.12.2030 09:00",
            },
            "meeting",
            "ends_at",
            "The end cannot be before the start.",
        ),
        (
            "meetings",
            {"meeting-subject": "S", "meeting-starts_at": "12/24/2030 10:00 AM"},
            "meeting",
            "starts_at",
            "Enter a date and time as dd.mm.yyyy hh:mm (24 hours).",
        ),
        (
            "meetings",
            {
                "meeting-subject": "S",
                "meeting-starts_at": "24.12.2030 10:00",
                "meeting-participant_contacts": ["987654"],
            },
            "meeting",
            "participant_contacts",
            "Choose contacts of this company.",
        ),
        (
            "meetings",
            {
                "meeting-subject": "S",
                "meeting-starts_at": "24.12.2030 10:00",
                "meeting-participant_users": ["987654"],
            },
            "meeting",
            "participant_users",
            "Choose members of this company.",
        ),
        (
            "meetings",
            {
                "meeting-subject": "S",
                "meeting-starts_at": "24.12.2030 10:00",
                "meeting-participant_contacts": ["x"],
            },
            "meeting",
            "participant_contacts",
            "Select a valid choice.",
        ),
        (
            "emails",
            {
                "email-subject": "S",
                "email-email_direction": "out",
                "email-description": "b" * 20001,
            },
            "email",
            "description",
            "at most 20000 characters",
        ),
        ("emails", {"email-subject": "S"}, "email", "email_direction", "This field is required."),
    ]
    for path, data, kind, field, message in cases:
        response = client.post(f"/contacts/{contact.pk}/{path}/", data)
        assert response.status_code == 400, (path, data)
        form = response.context["activity_forms"][kind]
        assert any(message in e for e in form.errors[field]), (field, form.errors)
        assert f'id="id_{kind}-{field}' in response.content.decode()
    assert not Activity.objects.exists()
    assert not ActivityParticipant.objects.exists()


def test_htmx_answers_the_panel_and_keeps_the_failed_form_open(
    in_alpha: Company, member: User
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    client = client_for(member)
    ok = client.post(
        f"/contacts/{contact.pk}/calls/",
        {"call-subject": "Quick", "call-call_outcome": "connected"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200
    html = ok.content.decode()
    assert 'id="record-activity-panel"' in html
    assert "<html" not in html
    assert "Connected" in html
    bad = client.post(
        f"/contacts/{contact.pk}/emails/", {"email-subject": ""}, HTTP_HX_REQUEST="true"
    )
    assert bad.status_code == 400
    assert '<details class="card quick-add-email" open>' in bad.content.decode()


def test_viewers_cannot_log_and_see_no_forms(in_alpha: Company, viewer: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    client = client_for(viewer)
    for path, data in (
        ("calls", {"call-subject": "S", "call-call_outcome": "busy"}),
        ("meetings", {"meeting-subject": "S", "meeting-starts_at": "24.12.2030 10:00"}),
        ("emails", {"email-subject": "S", "email-email_direction": "out"}),
        ("tasks", {"subject": "S"}),
    ):
        assert client.post(f"/contacts/{contact.pk}/{path}/", data).status_code == 403
    assert client.post("/activities/new/", {"kind": "call"}).status_code == 403
    assert client.get("/activities/new/").status_code == 403
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Log a call" not in page
    assert 'href="/activities/new/"' not in client.get("/activities/").content.decode()
    assert not Activity.objects.exists()


def test_another_companys_ids_are_refused(alpha: Company, beta: Company) -> None:
    beta_owner = beta.memberships.get(role="owner").user
    with schema_context("beta"):
        theirs = Contact.objects.create(pk=880001, last_name="BetaSecret")
        beta_member = member_of(beta, "member")
    owner = alpha.memberships.get(role="owner").user
    with schema_context("alpha"):
        ours = Contact.objects.create(last_name="Ours")
    client = client_for(owner)
    call = {"call-subject": "S", "call-call_outcome": "busy"}
    assert client.post(f"/contacts/{theirs.pk}/calls/", call).status_code == 404
    meeting = {"meeting-subject": "S", "meeting-starts_at": "24.12.2030 10:00"}
    response = client.post(
        f"/contacts/{ours.pk}/meetings/",
        {**meeting, "meeting-participant_contacts": [str(theirs.pk)]},
    )
    assert response.status_code == 400
    response = client.post(
        f"/contacts/{ours.pk}/meetings/",
        {**meeting, "meeting-participant_users": [str(beta_member.pk)]},
    )
    assert response.status_code == 400
    response = client.post(
        f"/contacts/{ours.pk}/calls/", {**call, "call-assignee": str(beta_owner.pk)}
    )
    assert response.status_code == 400
    new = client.post("/activities/new/", {"kind": "call", "link": f"contact:{theirs.pk}", **call})
    assert new.status_code == 400
    with schema_context("alpha"):
        assert not Activity.objects.exists()
    with schema_context("beta"):
        assert not Activity.objects.exists()


def test_activities_new_logs_for_a_picked_record(in_alpha: Company, member: User) -> None:
    deal = _deal()
    client = client_for(member)
    page = client.get(f"/activities/new/?kind=meeting&link=deal:{deal.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<option value="deal:{deal.pk}" selected>' in html
    assert 'name="meeting-starts_at"' in html
    assert 'placeholder="dd.mm.yyyy hh:mm"' in html
    missing = client.post(
        "/activities/new/", {"kind": "email", "email-subject": "S", "email-email_direction": "out"}
    )
    assert missing.status_code == 400
    assert missing.context["picker"].errors["link"] == ["This field is required."]
    response = client.post(
        "/activities/new/",
        {
            "kind": "email",
            "link": f"deal:{deal.pk}",
            "email-subject": "Offer sent",
            "email-email_direction": "out",
            "email-description": "PDF attached",
            "email-assignee": str(member.pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    email = Activity.objects.get()
    assert (email.kind, email.deal_id, email.email_direction, email.assignee_id) == (
        "email",
        deal.pk,
        "out",
        member.pk,
    )


def test_the_activities_list_has_new_and_filters_by_kind(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    activity_create(
        actor=member, kind="call", subject="A call", call_outcome="busy", contact=contact
    )
    activity_create(
        actor=member, kind="email", subject="An email", email_direction="in", contact=contact
    )
    client = client_for(member)
    page = client.get("/activities/").content.decode()
    assert 'href="/activities/new/"' in page
    calls = client.get("/activities/?kind=call").content.decode()
    assert "A call" in calls
    assert "An email" not in calls


def test_the_timeline_filters_by_kind(in_alpha: Company, member: User) -> None:
    contact = contact_create(actor=member, last_name="Doe")
    activity_create(
        actor=member, kind="call", subject="The call", call_outcome="busy", contact=contact
    )
    activity_create(
        actor=member, kind="email", subject="The email", email_direction="in", contact=contact
    )
    activity_create(actor=member, kind="task", subject="The task", contact=contact)
    client = client_for(member)
    everything = client.get(f"/contacts/{contact.pk}/").context["timeline"]
    assert {e.kind for e in everything.entries} == {"activity", "change"}
    calls = client.get(f"/contacts/{contact.pk}/?show=call").context["timeline"]
    assert [e.activity.subject for e in calls.entries] == ["The call"]
    emails = client.get(f"/contacts/{contact.pk}/?show=email")
    assert [e.activity.subject for e in emails.context["timeline"].entries] == ["The email"]
    assert 'href="?show=meeting"' in emails.content.decode()
    nonsense = client.get(f"/contacts/{contact.pk}/?show=<x>").context["timeline"]
    assert len(nonsense.entries) == len(everything.entries)


def test_forms_propose_the_current_user(in_alpha: Company, member: User) -> None:
    """A task added from a record reaches "My tasks"; new records are the creator's."""
    contact = Contact.objects.create(last_name="Doe")
    client = client_for(member)
    page = client.get(f"/contacts/{contact.pk}/")
    forms = page.context["activity_forms"]
    assert forms["task"]["assignee"].value() == str(member.pk)
    assert forms["meeting"]["participant_users"].value() == [str(member.pk)]
    assert forms["meeting"]["participant_contacts"].value() == [str(contact.pk)]
    html = page.content.decode()
    assert f'<option value="{member.pk}" selected>' in html
    # posting the page's task form as it is assigns it to the current user
    assert (
        client.post(
            f"/contacts/{contact.pk}/tasks/",
            {"subject": "Send offer", "due_at": "03.01.2031", "assignee": str(member.pk)},
        ).status_code
        == 302
    )
    task = Activity.objects.get()
    assert task.assignee_id == member.pk
    assert task.due_at == datetime.datetime(2031, 1, 3, 9, 0, tzinfo=SOFIA)
    assert "Send offer" in client.get("/tasks/").content.decode()
    for path in ("/contacts/new/", "/organizations/new/", "/deals/new/"):
        form = client.get(path).context["form"]
        assert form["owner"].value() == str(member.pk), path


def test_dates_are_european_in_both_languages(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    for language, placeholder in (("en", "dd.mm.yyyy hh:mm"), ("bg", "дд.мм.гггг чч:мм")):
        with translation.override(language):
            client = client_for(member)
            client.cookies["django_language"] = language
            html = client.get(
                f"/contacts/{contact.pk}/", HTTP_ACCEPT_LANGUAGE=language
            ).content.decode()
        assert f'placeholder="{placeholder}"' in html, language
        assert 'type="datetime-local"' not in html
    start = datetime.datetime(2030, 3, 5, 14, 5, tzinfo=SOFIA)
    activity_create(actor=member, kind="meeting", subject="M", starts_at=start, contact=contact)
    for language in ("en", "bg"):
        html = (
            client_for(member)
            .get(f"/contacts/{contact.pk}/", HTTP_ACCEPT_LANGUAGE=language)
            .content.decode()
        )
        assert "05.03.2030 14:05" in html, language


def test_a_logged_activity_is_deleted_by_its_author_or_a_manager(
    in_alpha: Company, member: User, admin: User, viewer: User
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    mine = activity_create(
        actor=member, kind="call", subject="Mine", call_outcome="busy", contact=contact
    )
    theirs = activity_create(
        actor=admin, kind="email", subject="Theirs", email_direction="in", contact=contact
    )
    client = client_for(member)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f'action="/activities/{mine.pk}/delete/"' in page
    assert f'action="/activities/{theirs.pk}/delete/"' not in page
    assert client_for(viewer).post(f"/activities/{mine.pk}/delete/").status_code == 403
    assert client.post(f"/activities/{theirs.pk}/delete/").status_code == 403
    assert client.post("/activities/987654/delete/").status_code == 404
    response = client.post(f"/activities/{mine.pk}/delete/", {"next": f"/contacts/{contact.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{contact.pk}/"
    assert list(Activity.objects.values_list("subject", flat=True)) == ["Theirs"]
    assert AuditEvent.objects.filter(
        action="crm.activity.deleted", object_id=str(mine.pk), actor=member
    ).exists()
    assert client_for(admin).post(f"/activities/{theirs.pk}/delete/").status_code == 302
    assert not Activity.objects.exists()
