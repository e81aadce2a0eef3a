"""Due-task reminders: the real Celery task, run in-process inside a company's schema."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact, Deal, Notification
from tenant_apps.crm.services.activities import activity_update
from tenant_apps.crm.services.notifications import (
    TASK_DUE,
    company_origin,
    task_reminders_send,
)
from tenant_apps.crm.tasks import task_reminders, task_reminders_all
from tenant_apps.history.models import AuditEvent
from tests.factories import make_user
from tests.tenant_apps.crm.factories import make_deals, member_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("send_emails_now")]

NOW = timezone.now()
PAST = NOW - datetime.timedelta(minutes=5)


@pytest.fixture
def people(alpha: Company) -> dict[str, User]:
    return {
        "bg": member_of(alpha, "member", language="bg", full_name="Иван Петров"),
        "en": member_of(alpha, "member", language="en", full_name="Jane Doe"),
    }


def task(assignee: User | None, due: datetime.datetime | None = PAST, **kw: object) -> Activity:
    contact = Contact.objects.create(last_name="Client")
    return Activity.objects.create(
        kind="task",
        subject="Call back <Ivan>",
        assignee=assignee,
        due_at=due,
        contact=contact,
        **kw,
    )


def run() -> int:
    result = task_reminders.apply()
    assert result.successful(), result.traceback
    return int(result.result)


@pytest.fixture
def alpha_schema(alpha: Company) -> Iterator[Company]:
    with schema_context("alpha"):
        yield alpha


def test_sends_once_in_the_assignees_language(
    alpha_schema: Company, people: dict[str, User]
) -> None:
    # given a due task for a Bulgarian and one for an English speaker
    bg_task = task(people["bg"])
    en_task = task(people["en"])
    # when the reminder task runs twice
    assert run() == 2
    assert run() == 0
    # then each assignee got exactly one email, in their language
    assert len(mail.outbox) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    bg_mail, en_mail = by_to[people["bg"].email], by_to[people["en"].email]
    with translation.override("bg"):
        assert bg_mail.subject == gettext("Task due: %(subject)s") % {"subject": "Call back <Ivan>"}
    assert bg_mail.extra_headers["Content-Language"] == "bg"
    assert "Здравейте, Иван," in bg_mail.body
    assert en_mail.extra_headers["Content-Language"] == "en"
    assert "Alpha Ltd" in bg_mail.body
    assert en_mail.subject == "Task due: Call back <Ivan>"
    assert "Hello Jane," in en_mail.body
    assert f"{company_origin('alpha')}/contacts/{en_task.contact_id}/" in en_mail.body
    html = en_mail.alternatives[0][0]  # type: ignore[attr-defined]
    assert "Call back &lt;Ivan&gt;" in str(html)
    assert "<Ivan>" not in str(html)
    # and one in-app notification each, linked to the record; the tasks are stamped
    for activity, person in ((bg_task, people["bg"]), (en_task, people["en"])):
        activity.refresh_from_db()
        assert activity.reminder_sent_at is not None
        notification = Notification.objects.get(activity=activity)
        assert notification.recipient_id == person.pk
        assert notification.kind == TASK_DUE
        assert notification.url == f"/contacts/{activity.contact_id}/"
    assert AuditEvent.objects.filter(action="crm.activity.reminded").count() == 2


def test_skips_what_is_not_due(alpha_schema: Company, people: dict[str, User]) -> None:
    person = people["en"]
    task(person, due=NOW + datetime.timedelta(hours=1))  # later
    task(person, due=None)  # no date
    task(person, done=True)  # done
    task(None)  # nobody to remind
    task(person, reminder_sent_at=PAST)  # already reminded
    Activity.objects.create(
        kind="call",
        subject="Call",
        assignee=person,
        due_at=PAST,
        contact=Contact.objects.create(last_name="X"),
    )
    assert run() == 0
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_former_member_gets_nothing_and_is_not_asked_again(alpha_schema: Company) -> None:
    stranger = make_user(language="en")
    activity = task(stranger)
    assert run() == 0
    activity.refresh_from_db()
    assert activity.reminder_sent_at is not None
    assert mail.outbox == []


def test_a_deal_task_links_to_the_deal(alpha_schema: Company, people: dict[str, User]) -> None:
    deal: Deal = make_deals(1)[0]
    Activity.objects.create(
        kind="task", subject="Quote", assignee=people["en"], due_at=PAST, deal=deal
    )
    assert run() == 1
    assert Notification.objects.get().url == f"/deals/{deal.pk}/"


def test_a_retry_after_the_notification_exists_does_not_notify_twice(
    alpha_schema: Company, people: dict[str, User]
) -> None:
    # given a run whose notification was saved but whose stamp was lost (crash, retry)
    activity = task(people["en"])
    assert run() == 1
    Activity.objects.filter(pk=activity.pk).update(reminder_sent_at=None)
    # when it runs again
    run()
    # then there is still one notification and one email (same idempotency key)
    assert Notification.objects.filter(activity=activity).count() == 1
    assert len(mail.outbox) == 1


def test_rescheduling_re_arms_the_reminder(alpha_schema: Company, people: dict[str, User]) -> None:
    person = people["en"]
    activity = task(person)
    assert run() == 1
    activity_update(activity=activity, actor=person, due_at=NOW - datetime.timedelta(minutes=1))
    activity.refresh_from_db()
    assert activity.reminder_sent_at is None
    assert run() == 1
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(activity=activity).count() == 1


def test_only_the_current_company(alpha: Company, beta: Company, people: dict[str, User]) -> None:
    with schema_context("beta"):
        beta_task = task(people["en"])
    with schema_context("alpha"):
        assert run() == 0
    with schema_context("beta"):
        beta_task.refresh_from_db()
        assert beta_task.reminder_sent_at is None


def test_concurrent_claims_skip_locked_rows(alpha_schema: Company, people: dict[str, User]) -> None:
    """A row locked by another run is skipped, not waited for (SKIP LOCKED is in the SQL)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task(people["en"])
    with CaptureQueriesContext(connection) as ctx:
        task_reminders_send()
    assert any(
        "FOR UPDATE OF" in q["sql"] and "SKIP LOCKED" in q["sql"] for q in ctx.captured_queries
    )


def test_the_dispatcher_sends_one_task_per_company(
    alpha: Company, beta: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []

    def fake_apply_async(*args: object, **kwargs: object) -> None:
        from shared_apps.tenants.db import connection

        sent.append(connection.schema_name)

    monkeypatch.setattr(task_reminders, "apply_async", fake_apply_async)
    count = task_reminders_all.apply().result
    assert count == len(sent)
    assert {"alpha", "beta"} <= set(sent)


def test_beat_runs_the_dispatcher_every_minute() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["crm-task-reminders"]
    assert entry == {"task": task_reminders_all.name, "schedule": 60.0}
