"""Calls, meetings and emails through `activity_create`: what each kind needs, what it
refuses (with the input it concerns), the participants of a meeting, the audit row."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, ActivityParticipant, Contact, Deal
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.history.models import AuditEvent
from tests.factories import make_user
from tests.tenant_apps.crm.factories import default_pipeline, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _errors(**kwargs: object) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        activity_create(**kwargs)  # type: ignore[arg-type]
    assert not Activity.objects.exists()
    return exc.value.message_dict


def test_a_call_with_outcome_and_duration_is_logged_done_and_audited(
    in_alpha: Company, member: User
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    call = activity_create(
        actor=member,
        kind="call",
        subject="Intro call",
        call_outcome="voicemail",
        duration_minutes=3,
        description="Call back on Monday",
        contact=contact,
        assignee=member,
    )
    call.refresh_from_db()
    assert (call.kind, call.call_outcome, call.duration_minutes, call.done) == (
        "call",
        "voicemail",
        3,
        True,
    )
    assert call.done_at is not None
    event = AuditEvent.objects.get(object_type="crm.activity", object_id=str(call.pk))
    assert event.action == "crm.activity.created"
    assert event.actor_id == member.pk
    assert event.changes["call_outcome"] == [None, "voicemail"]
    assert event.changes["duration_minutes"] == [None, 3]
    assert event.changes["done"] == [None, True]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"call_outcome": "maybe"}, "call_outcome", "Choose how the call went."),
        (
            {"call_outcome": "busy", "duration_minutes": -5},
            "duration_minutes",
            "Enter a duration from 0 to 1440 minutes (a day).",
        ),
        (
            {"call_outcome": "busy", "duration_minutes": 10**9},
            "duration_minutes",
            "Enter a duration from 0 to 1440 minutes (a day).",
        ),
        (
            {"call_outcome": "busy", "description": "x" * 20001},
            "description",
            "Keep it to 20000 characters (it has 20001).",
        ),
        (
            {"call_outcome": "busy", "email_direction": "in"},
            "email_direction",
            "Only emails have this.",
        ),
    ],
)
def test_a_call_refuses_bad_input_on_its_field(
    in_alpha: Company, member: User, extra: dict[str, object], field: str, message: str
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    errors = _errors(actor=member, kind="call", subject="S", contact=contact, **extra)
    assert message in errors[field]


def test_a_meeting_takes_its_end_from_a_duration_and_lists_its_participants(
    in_alpha: Company, member: User, admin: User
) -> None:
    org = Contact.objects.create(last_name="Org person")
    guest = Contact.objects.create(first_name="Ana", last_name="Guest")
    deal = Deal.objects.create(
        name="Big",
        pipeline=default_pipeline(),
        stage=default_pipeline().stages.order_by("position")[0],
    )
    start = timezone.now() + datetime.timedelta(days=2)
    meeting = activity_create(
        actor=member,
        kind="meeting",
        subject="Kick-off",
        starts_at=start,
        duration_minutes=45,
        location="Office, room 2",
        participant_contacts=[guest.pk, org.pk, guest.pk],
        participant_users=[admin.pk, member.pk],
        deal=deal,
    )
    meeting.refresh_from_db()
    assert meeting.ends_at == start + datetime.timedelta(minutes=45)
    assert meeting.due_at == start
    assert not meeting.done  # it has not happened yet
    people = list(
        ActivityParticipant.objects.filter(activity=meeting).values_list("contact_id", "user_id")
    )
    assert people == [(guest.pk, None), (org.pk, None), (None, admin.pk), (None, member.pk)]
    event = AuditEvent.objects.get(object_type="crm.activity", object_id=str(meeting.pk))
    assert event.changes["participant_contacts"] == [None, [guest.pk, org.pk]]
    assert event.changes["participant_users"] == [None, [admin.pk, member.pk]]
    deal.refresh_from_db()
    assert deal.last_activity_at is not None


def test_a_past_meeting_with_an_end_is_done(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    start = timezone.now() - datetime.timedelta(hours=3)
    meeting = activity_create(
        actor=member,
        kind="meeting",
        subject="Lunch",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        contact=contact,
    )
    assert meeting.done
    assert meeting.duration_minutes == 60


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({}, "starts_at", "Enter when the meeting starts."),
        ({"ends_at_offset": -10}, "ends_at", "The end cannot be before the start."),
        ({"ends_at_offset": 60 * 25}, "ends_at", "A meeting lasts at most a day."),
        (
            {"ends_at_offset": 30, "duration_minutes": 45},
            "duration_minutes",
            "Give an end or a duration; these two do not match.",
        ),
        (
            {"duration_minutes": -1},
            "duration_minutes",
            "Enter a duration from 0 to 1440 minutes (a day).",
        ),
        ({"location": "x" * 201}, "location", "at most 200 characters"),
    ],
)
def test_a_meeting_refuses_bad_times_on_their_field(
    in_alpha: Company, member: User, extra: dict[str, object], field: str, message: str
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    start = timezone.now()
    values = dict(extra)
    offset = values.pop("ends_at_offset", None)
    if field != "starts_at":
        values["starts_at"] = start
    if offset is not None:
        values["ends_at"] = start + datetime.timedelta(minutes=int(offset))  # type: ignore[call-overload]
    errors = _errors(actor=member, kind="meeting", subject="M", contact=contact, **values)
    assert any(message in e for e in errors[field]), errors
    assert "__all__" not in errors  # reported once, on the input


def test_meeting_participants_must_belong_to_this_company(alpha: Company, beta: Company) -> None:
    with schema_context("beta"):
        theirs = Contact.objects.create(last_name="Beta person")
        beta_member = member_of(beta, "member")
    with schema_context("alpha"):
        owner = alpha.memberships.get(role="owner").user
        contact = Contact.objects.create(last_name="Doe")
        start = timezone.now()
        common = {"actor": owner, "kind": "meeting", "subject": "M", "starts_at": start}
        errors = _errors(**common, contact=contact, participant_contacts=[theirs.pk + 10_000])
        assert errors["participant_contacts"] == ["Choose contacts of this company."]
        if not Contact.objects.filter(pk=theirs.pk).exists():
            errors = _errors(**common, contact=contact, participant_contacts=[theirs.pk])
            assert errors["participant_contacts"] == ["Choose contacts of this company."]
        errors = _errors(**common, contact=contact, participant_users=[beta_member.pk])
        assert errors["participant_users"] == ["Choose members of this company."]
        errors = _errors(**common, contact=contact, participant_users=[make_user().pk, 0])
        assert errors["participant_users"] == ["Choose members of this company."]
        deleted = Contact.objects.create(last_name="Gone", deleted_at=timezone.now())
        errors = _errors(**common, contact=contact, participant_contacts=[deleted.pk])
        assert errors["participant_contacts"] == ["Choose contacts of this company."]
        errors = _errors(
            actor=owner,
            kind="call",
            subject="C",
            call_outcome="busy",
            contact=contact,
            participant_users=[owner.pk],
        )
        assert errors["participants"] == ["Only meetings have participants."]
        assert not ActivityParticipant.objects.exists()


def test_an_email_direction_is_one_of_two_and_the_body_is_kept(
    in_alpha: Company, member: User
) -> None:
    contact = Contact.objects.create(last_name="Doe")
    errors = _errors(
        actor=member, kind="email", subject="Offer", email_direction="sideways", contact=contact
    )
    assert errors["email_direction"] == ["Choose whether the email was sent or received."]
    errors = _errors(
        actor=member,
        kind="email",
        subject="Offer",
        email_direction="out",
        description="y" * 20001,
        contact=contact,
    )
    assert errors["description"] == ["Keep it to 20000 characters (it has 20001)."]
    email = activity_create(
        actor=member,
        kind="email",
        subject="Offer",
        email_direction="in",
        description="<script>alert(1)</script>\nThanks",
        contact=contact,
    )
    email.refresh_from_db()
    assert email.email_direction == "in"
    assert email.done
    assert email.description == "<script>alert(1)</script>\nThanks"


def test_viewers_cannot_log_anything(in_alpha: Company, viewer: User) -> None:
    contact = Contact.objects.create(last_name="Doe")
    for kind, extra in (
        ("call", {"call_outcome": "busy"}),
        ("meeting", {"starts_at": timezone.now()}),
        ("email", {"email_direction": "out"}),
    ):
        with pytest.raises(PermissionDenied):
            activity_create(actor=viewer, kind=kind, subject="S", contact=contact, **extra)
    assert not Activity.objects.exists()


def test_the_service_assumes_no_assignee(in_alpha: Company, member: User) -> None:
    """Imports and other callers get what they pass; only the web forms propose the
    current user."""
    contact = Contact.objects.create(last_name="Doe")
    task = activity_create(actor=member, kind="task", subject="T", contact=contact)
    assert task.assignee_id is None
