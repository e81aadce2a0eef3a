"""Merging services and the merge plan: which record stays, which values are preselected,
what is dropped, and that nothing else is lost; the audit rows in words."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.merge_plan import (
    choice_fields,
    default_take,
    dropped_values,
    raw,
    survivor_first,
)
from tenant_apps.crm.models import (
    Activity,
    ActivityParticipant,
    Contact,
    CustomField,
    Deal,
    Note,
    Organization,
)
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.services.contacts import contact_create, contact_update
from tenant_apps.crm.services.deals import deal_create
from tenant_apps.crm.services.merge import contact_merge, organization_merge
from tenant_apps.crm.services.notes import note_create
from tenant_apps.crm.services.organizations import organization_create
from tenant_apps.crm.timeline import record_timeline
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db


def _complete_and_fresh(admin: User, owner: User) -> tuple[Contact, Contact]:
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
    fresh = contact_create(actor=admin, last_name="Lee", emails=["ann.lee@mail.test"])
    return complete, fresh


def test_the_more_complete_record_stays_then_the_older(
    in_alpha: Company, admin: User, owner: User
) -> None:
    complete, fresh = _complete_and_fresh(admin, owner)
    assert survivor_first(fresh, complete) == (complete, fresh)
    assert survivor_first(complete, fresh) == (complete, fresh)
    twin = contact_create(actor=admin, last_name="Twin")
    older = contact_create(actor=admin, last_name="Twin")
    Contact.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    older.refresh_from_db()
    assert survivor_first(twin, older) == (older, twin)


def test_fields_preselect_the_non_empty_value(in_alpha: Company, admin: User, owner: User) -> None:
    complete, fresh = _complete_and_fresh(admin, owner)
    # the fresh one kept by choice: every value only the complete one has is taken from it
    assert set(default_take(fresh, complete)) == {
        "first_name",
        "job_title",
        "organization",
        "owner",
        "source",
    }
    assert default_take(complete, fresh) == []
    assert dropped_values(complete, fresh, []) == []
    # both set: the kept record's value is preselected and the other's is reported dropped
    contact_update(contact=fresh, actor=admin, expected_version=fresh.version, job_title="CEO")
    fresh.refresh_from_db()
    assert "job_title" not in default_take(complete, fresh)
    [drop] = dropped_values(complete, fresh, default_take(complete, fresh))
    assert (drop.name, drop.dropped, drop.kept, drop.from_survivor) == (
        "job_title",
        "CEO",
        "CTO",
        False,
    )


def test_merging_a_fresh_duplicate_keeps_every_value(
    in_alpha: Company, admin: User, owner: User
) -> None:
    """The defect: merging a nearly empty duplicate wiped the original's values."""
    complete, fresh = _complete_and_fresh(admin, owner)
    survivor, other = survivor_first(fresh, complete)
    merged = contact_merge(
        actor=admin, survivor=survivor, other=other, take=default_take(survivor, other)
    )
    merged.refresh_from_db()
    assert merged.pk == complete.pk
    assert (merged.first_name, merged.job_title, merged.source) == ("Ann", "CTO", "Fair")
    assert merged.organization is not None
    assert merged.organization.name == "Acme"
    assert merged.owner_id == owner.pk
    assert sorted(e.email for e in merged.emails.all()) == ["ann.lee@mail.test", "ann@acme.test"]


def _custom(entity: str) -> None:
    CustomField.objects.create(entity=entity, key="tier", label="Tier", type="text")
    CustomField.objects.create(entity=entity, key="region", label="Region", type="text")


def test_custom_fields_are_chosen_like_the_others(in_alpha: Company, admin: User) -> None:
    _custom("contact")
    a = contact_create(actor=admin, last_name="A", custom_fields={"tier": "gold"})
    b = contact_create(
        actor=admin, last_name="A", custom_fields={"tier": "silver", "region": "North"}
    )
    assert choice_fields(a, b) == ["custom_fields.region", "custom_fields.tier"]
    assert default_take(a, b) == ["custom_fields.region"]
    merged = contact_merge(
        actor=admin, survivor=a, other=b, take=["custom_fields.tier", "custom_fields.region"]
    )
    assert merged.custom_fields == {"tier": "silver", "region": "North"}
    event = AuditEvent.objects.get(action="crm.contact.merged", object_id=str(a.pk))
    assert event.changes["merge"]["dropped"] == {"custom_fields.tier": ["gold", "silver"]}


TEXT = st.sampled_from(["", "x", "Y z", "Ünï"])
CONTACT_VALUES = st.fixed_dictionaries(
    {
        "first_name": TEXT,
        "job_title": TEXT,
        "source": TEXT,
        "lifecycle_stage": st.sampled_from(["lead", "customer"]),
        "do_not_contact": st.booleans(),
        "with_org": st.booleans(),
        "with_owner": st.booleans(),
        "tier": TEXT,
    }
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(a=CONTACT_VALUES, b=CONTACT_VALUES, flip=st.booleans(), choose=st.sets(st.integers(0, 9)))
def test_nothing_is_lost_unless_listed_as_dropped(
    alpha: Company, admin: User, a: dict[str, Any], b: dict[str, Any], flip: bool, choose: set[int]
) -> None:
    """Whatever the values and the choices: every non-empty field of either record is on the
    survivor afterwards or listed as dropped (in the plan and in the audit row)."""
    with schema_context("alpha"), transaction.atomic():
        if not CustomField.objects.filter(entity="contact", key="tier").exists():
            CustomField.objects.create(entity="contact", key="tier", label="Tier", type="text")
        org = Organization.objects.create(name="Org")

        def make(values: dict[str, Any]) -> Contact:
            return contact_create(
                actor=admin,
                last_name="Same",
                first_name=values["first_name"],
                job_title=values["job_title"],
                source=values["source"],
                lifecycle_stage=values["lifecycle_stage"],
                do_not_contact=values["do_not_contact"],
                organization=org if values["with_org"] else None,
                owner=admin if values["with_owner"] else None,
                custom_fields={"tier": values["tier"]} if values["tier"] else {},
            )

        first, second = make(a), make(b)
        survivor, other = (second, first) if flip else (first, second)
        names = choice_fields(survivor, other)
        # the defaults, with some fields flipped to the other side at random
        take = set(default_take(survivor, other))
        take ^= {n for i, n in enumerate(names) if i in choose}
        dropped = {d.name: d for d in dropped_values(survivor, other, take)}
        before = {
            n: (raw(survivor, n), raw(other, n))
            for n in [*names, "last_name", "first_name", "job_title", "custom_fields.tier"]
        }
        merged = contact_merge(actor=admin, survivor=survivor, other=other, take=take)
        merged.refresh_from_db()
        for name, values in before.items():
            for value in values:
                if value in (None, "", False):
                    continue
                assert raw(merged, name) == value or dropped[name].dropped == value, name
        row = AuditEvent.objects.get(action="crm.contact.merged", object_id=str(survivor.pk))
        assert set(row.changes["merge"]["dropped"]) == set(dropped)
        transaction.set_rollback(True)


def test_contact_merge_moves_everything_and_says_so(
    in_alpha: Company, admin: User, member: User
) -> None:
    keep = contact_create(actor=member, first_name="Ann", last_name="Keep", job_title="CTO")
    other = contact_create(actor=member, last_name="Keep", job_title="CEO")
    for i in range(3):
        activity_create(actor=member, kind="task", subject=f"t{i}", contact=other)
    note_create(actor=member, body="n", contact=other)
    deal_create(actor=member, name="D", pipeline=default_pipeline(), contacts=[other])
    with pytest.raises(PermissionDenied):
        contact_merge(actor=member, survivor=keep, other=other)
    contact_merge(actor=admin, survivor=keep, other=other)
    assert Activity.objects.filter(contact=keep).count() == 3
    assert Note.objects.filter(contact=keep).count() == 1
    assert Deal.objects.filter(contacts=keep).count() == 1
    with translation.override("en"):
        entries = record_timeline(actor=admin, record=keep).entries
        merged = next(e for e in entries if e.action == "merged")
        assert merged.summary == [
            "Merged Keep into this record: moved 3 activities, 1 note, 1 deal.",
            "Not kept: Job title “CEO” (kept “CTO”).",
        ]
        # no "Activities: — → 97": the moved ids are not shown as field changes
        assert [c.label for c in merged.changes] == []
        other_entries = record_timeline(actor=admin, record=Contact.objects.get(pk=other.pk))
        gone = next(e for e in other_entries.entries if e.action == "merged")
        assert gone.summary[0] == "Merged into Ann Keep: moved 3 activities, 1 note, 1 deal."
    with translation.override("bg"):
        entries = record_timeline(actor=admin, record=keep).entries
        merged = next(e for e in entries if e.action == "merged")
        assert merged.summary[0] == (
            "Записът Keep е обединен с този: преместени 3 дейности, 1 бележка, 1 сделка."
        )


def test_contact_merge_keeps_the_meetings_the_other_attended(
    in_alpha: Company, admin: User, member: User
) -> None:
    # given two meetings the duplicate attended, one of them with the survivor too
    keep = contact_create(actor=member, last_name="Keep")
    other = contact_create(actor=member, last_name="Keep")
    org = organization_create(actor=member, name="Host Ltd")
    start = timezone.now() - datetime.timedelta(days=1)
    both, alone = (
        activity_create(
            actor=member,
            kind="meeting",
            subject=subject,
            starts_at=start,
            duration_minutes=30,
            participant_contacts=guests,
            organization=org,
        )
        for subject, guests in (("Both", [keep.pk, other.pk]), ("Alone", [other.pk]))
    )
    # when the duplicate is merged into the survivor
    contact_merge(actor=admin, survivor=keep, other=other)
    # then the survivor attended both, once each, and the merged-away contact none
    attended = ActivityParticipant.objects.filter(contact=keep)
    assert sorted(attended.values_list("activity_id", flat=True)) == sorted([both.pk, alone.pk])
    assert not ActivityParticipant.objects.filter(contact=other).exists()
    with translation.override("en"):
        entries = record_timeline(actor=admin, record=keep).entries
        merged = next(e for e in entries if e.action == "merged")
        assert merged.summary[0] == "Merged Keep into this record: moved 2 meetings attended."


def test_old_merge_rows_read_in_words(in_alpha: Company, admin: User) -> None:
    """Rows written before the merge entry existed (ids as old → new pairs)."""
    org = organization_create(actor=admin, name="Acme")
    gone = organization_create(actor=admin, name="Acme Ltd")
    AuditEvent.objects.create(
        actor=admin,
        action="crm.organization.merged",
        object_type="crm.organization",
        object_id=str(org.pk),
        changes={"merged_from": [None, gone.pk], "activities": [None, list(range(97))]},
    )
    with translation.override("en"):
        entry = next(
            e for e in record_timeline(actor=admin, record=org).entries if e.action == "merged"
        )
    assert entry.summary == ["Merged Acme Ltd into this record: moved 97 activities."]
    assert entry.changes == []


def test_organization_merge_keeps_values_and_moves_records(in_alpha: Company, admin: User) -> None:
    complete = organization_create(
        actor=admin, name="Acme", city="Sofia", website="https://acme.test", industry="Tools"
    )
    fresh = organization_create(actor=admin, name="ACME Ltd", phone="+35921111111")
    person = contact_create(actor=admin, last_name="P", organization=fresh)
    survivor, other = survivor_first(fresh, complete)
    assert survivor == complete
    assert default_take(survivor, other) == ["phone"]
    merged = organization_merge(
        actor=admin, survivor=survivor, other=other, take=default_take(survivor, other)
    )
    merged.refresh_from_db()
    assert (merged.name, merged.city, merged.industry, merged.phone) == (
        "Acme",
        "Sofia",
        "Tools",
        "+35921111111",
    )
    assert Contact.objects.get(pk=person.pk).organization_id == complete.pk
    row = AuditEvent.objects.get(action="crm.organization.merged", object_id=str(complete.pk))
    assert row.changes["merge"]["moved"] == {"contacts": [person.pk]}
    assert row.changes["merge"]["dropped"] == {"name": ["ACME Ltd", "Acme"]}


def test_refusals_write_nothing(in_alpha: Company, admin: User) -> None:
    a = contact_create(actor=admin, last_name="A")
    b = contact_create(actor=admin, last_name="B", job_title="X")
    org = organization_create(actor=admin, name="O")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as stale:
        contact_merge(actor=admin, survivor=a, other=b, expected_versions=(a.version, 99))
    assert stale.value.code == "stale"
    with pytest.raises(ValidationError):
        contact_merge(actor=admin, survivor=a, other=b, take=["version"])
    with pytest.raises(ValidationError):
        contact_merge(actor=admin, survivor=a, other=org)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        organization_merge(actor=admin, survivor=org, other=org)
    assert AuditEvent.objects.count() == events
    assert Contact.objects.get(pk=b.pk).deleted_at is None
    assert Contact.objects.get(pk=b.pk).version == b.version
