"""Billing emails: one per move or Stripe notice, to owners and admins, each in their language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from shared_apps.accounts.models import Membership, User
from shared_apps.billing import notify
from shared_apps.billing.services import billing_state_force, billing_state_move
from shared_apps.billing.signals import billing_notice
from shared_apps.tenants.models import Company
from tests.factories import make_user
from tests.shared_apps.billing.factories import put_in_state

S = Company.BillingState
BG_FOOTER = "Това е автоматично съобщение."
EN_FOOTER = "This is an automatic message."


@pytest.fixture
def tasks_now(monkeypatch: pytest.MonkeyPatch, send_emails_now: None) -> None:
    """The billing tasks run in-process when enqueued; their emails are sent at once."""
    for task in (notify.notify_state_changed, notify.notify_notice):
        monkeypatch.setattr(task, "delay", lambda _t=task, **kw: _t.apply(kwargs=kw).get())


@pytest.fixture
def people(alpha: Company, beta: Company) -> dict[str, User]:
    """alpha: its Bulgarian owner (provisioning), an English admin, a member and a viewer;
    beta: its owner and an admin (never emailed about alpha)."""
    owner = User.objects.get(email="owner@alpha.test")
    users = {
        "owner": owner,
        "admin": make_user(email="admin@alpha.test", language="en"),
        "member": make_user(email="member@alpha.test", language="en"),
        "viewer": make_user(email="viewer@alpha.test", language="en"),
        "beta_admin": make_user(email="admin@beta.test", language="en"),
    }
    Membership.objects.create(user=users["admin"], company=alpha, role=Membership.Role.ADMIN)
    Membership.objects.create(user=users["member"], company=alpha, role=Membership.Role.MEMBER)
    Membership.objects.create(user=users["viewer"], company=alpha, role=Membership.Role.VIEWER)
    Membership.objects.create(user=users["beta_admin"], company=beta, role=Membership.Role.ADMIN)
    return users


def by_recipient() -> dict[str, mail.EmailMessage]:
    messages = {message.to[0]: message for message in mail.outbox}
    assert len(messages) == len(mail.outbox), "one message per recipient"
    return messages


def shown(day: date, language: str) -> str:
    with translation.override(language):
        return str(formats.date_format(day, "DATE_FORMAT"))


def html_of(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    return str(message.alternatives[0][0])


@pytest.fixture
def move(
    django_capture_on_commit_callbacks: Callable[..., Any], tasks_now: None
) -> Callable[..., None]:
    """Move a company through the real service; the signal runs as after a commit."""

    def run(company: Company, to: str, *, reason: str = "test", at: datetime | None = None) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            billing_state_move(company=company, to=to, reason=reason, source="reconcile", at=at)

    return run


@pytest.fixture
def notice(
    django_capture_on_commit_callbacks: Callable[..., Any], tasks_now: None
) -> Callable[..., None]:
    def run(company: Company, kind: str, event_id: str = "evt_1", **kwargs: Any) -> None:
        billing_notice.send(sender=Company, company=company, kind=kind, event_id=event_id, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    mail.outbox.clear()


@pytest.mark.django_db
class TestRecipients:
    def test_owners_and_admins_each_in_their_language(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        # given alpha active, with a Bulgarian owner and an English admin
        put_in_state(alpha, S.ACTIVE)
        # when a payment fails for good
        move(alpha, S.PAST_DUE)
        # then exactly the owner and the admin get it, each in their language
        messages = by_recipient()
        assert set(messages) == {"owner@alpha.test", "admin@alpha.test"}
        bg, en = messages["owner@alpha.test"], messages["admin@alpha.test"]
        assert bg.extra_headers["Content-Language"] == "bg"
        assert BG_FOOTER in str(bg.body)
        assert BG_FOOTER in html_of(bg)
        assert en.extra_headers["Content-Language"] == "en"
        assert EN_FOOTER in str(en.body)
        assert EN_FOOTER in html_of(en)
        assert en.subject == "Payment overdue for Alpha Ltd"

    def test_members_viewers_and_other_companies_are_never_emailed(
        self, alpha: Company, beta: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        put_in_state(beta, S.ACTIVE)
        move(alpha, S.PAST_DUE)
        recipients = set(by_recipient())
        assert not recipients & {
            "member@alpha.test",
            "viewer@alpha.test",
            "admin@beta.test",
            "owner@beta.test",
        }
        mail.outbox.clear()
        move(beta, S.PAST_DUE)
        assert set(by_recipient()) == {"owner@beta.test", "admin@beta.test"}

    def test_an_inactive_admin_is_skipped(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        User.objects.filter(pk=people["admin"].pk).update(is_active=False)
        put_in_state(alpha, S.ACTIVE)
        move(alpha, S.PAST_DUE)
        assert set(by_recipient()) == {"owner@alpha.test"}


@pytest.mark.django_db
class TestMoveEmails:
    def test_grace_gives_the_days_left_and_the_date(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        move(alpha, S.PAST_DUE)
        en = by_recipient()["admin@alpha.test"]
        assert "Everything keeps working for 7 more days." in str(en.body)
        assert "becomes read-only" in str(en.body)
        assert "https://alpha.localhost/billing/" in str(en.body)
        assert 'href="https://alpha.localhost/billing/"' in html_of(en)

    def test_read_only_after_the_grace(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.PAST_DUE)
        move(alpha, S.READ_ONLY, reason="past_due_grace_expired")
        en = by_recipient()["admin@alpha.test"]
        assert en.subject == "Alpha Ltd is now read-only"
        assert "did not go through in time" in str(en.body)
        assert "will be suspended" in str(en.body)

    def test_read_only_when_the_trial_ran_out(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        # the trial is alpha's state after provisioning; it ran out
        put_in_state(alpha, S.TRIALING)
        move(alpha, S.READ_ONLY, reason="trial_expired")
        body = str(by_recipient()["admin@alpha.test"].body)
        assert "The free trial of Alpha Ltd has ended." in body

    def test_suspended(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.READ_ONLY)
        move(alpha, S.SUSPENDED)
        en = by_recipient()["admin@alpha.test"]
        assert en.subject == "Alpha Ltd is suspended"
        assert "Only the billing, export and account pages remain open." in str(en.body)

    @pytest.mark.parametrize("since", [S.PAST_DUE, S.READ_ONLY, S.SUSPENDED])
    def test_restored(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None], since: str
    ) -> None:
        put_in_state(alpha, since)
        move(alpha, S.ACTIVE)
        en = by_recipient()["admin@alpha.test"]
        assert en.subject == "Alpha Ltd is active again"
        assert "https://alpha.localhost/" in str(en.body)

    def test_canceled_gives_the_retention_date(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.ACTIVE, since=timezone.now() - timedelta(days=3))
        at = timezone.now()
        move(alpha, S.CANCELED, at=at)
        messages = by_recipient()
        en = messages["admin@alpha.test"]
        kept_until = timezone.localtime(at + timedelta(days=30)).date()
        assert en.subject == "The subscription of Alpha Ltd has ended"
        assert f"kept until {shown(kept_until, 'en')}, then deleted" in str(en.body)
        # the Bulgarian owner gets the date in Bulgarian
        assert shown(kept_until, "bg") in str(messages["owner@alpha.test"].body)
        assert shown(kept_until, "bg") != shown(kept_until, "en")

    def test_the_first_payment_of_a_trial_sends_nothing(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.TRIALING)
        move(alpha, S.ACTIVE)
        assert mail.outbox == []

    def test_a_repeated_move_sends_once(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        move(alpha, S.PAST_DUE)
        move(alpha, S.PAST_DUE)  # the same fact again: no move, no signal
        assert len(mail.outbox) == 2

    def test_the_task_run_twice_sends_once(
        self, alpha: Company, people: dict[str, User], move: Callable[..., None]
    ) -> None:
        put_in_state(alpha, S.ACTIVE)
        move(alpha, S.PAST_DUE)
        change = alpha.billing_state_changes.latest("pk")
        notify.notify_state_changed.delay(change_id=change.pk)  # a redelivered task
        assert len(mail.outbox) == 2

    def test_a_forced_move_emails_too(
        self,
        alpha: Company,
        people: dict[str, User],
        django_capture_on_commit_callbacks: Callable[..., Any],
        tasks_now: None,
    ) -> None:
        staff = make_user(is_staff=True)
        with django_capture_on_commit_callbacks(execute=True):
            billing_state_force(company=alpha, to=S.SUSPENDED, reason="fraud", actor=staff)
        assert by_recipient()["admin@alpha.test"].subject == "Alpha Ltd is suspended"


@pytest.mark.django_db
class TestNotices:
    def test_payment_failed_links_the_hosted_invoice(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        url = "https://invoice.stripe.com/i/acct_1/test_abc"
        notice(alpha, "payment_failed", hosted_invoice_url=url)
        en = by_recipient()["admin@alpha.test"]
        assert en.subject == "Payment failed for Alpha Ltd"
        assert f"Pay the invoice: {url}" in str(en.body)
        assert f'href="{url}"' in html_of(en)
        assert len(mail.outbox) == 2
        assert "becomes read-only" not in str(en.body)  # alpha is not past due

    def test_payment_failed_when_past_due_gives_the_grace_end(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        since = timezone.now() - timedelta(days=2)
        put_in_state(alpha, S.PAST_DUE, since=since)
        notice(alpha, "payment_failed", hosted_invoice_url="https://invoice.stripe.com/i/x")
        body = str(by_recipient()["admin@alpha.test"].body)
        end = timezone.localtime(since + timedelta(days=7)).date()
        assert f"has not gone through by {shown(end, 'en')}, the company becomes" in body

    def test_action_required_links_the_invoice(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        url = "https://invoice.stripe.com/i/acct_1/test_3ds"
        notice(alpha, "action_required", hosted_invoice_url=url)
        en = by_recipient()["admin@alpha.test"]
        assert en.subject == "Confirm the payment for Alpha Ltd"
        assert url in str(en.body)

    def test_a_link_that_is_not_http_falls_back_to_the_billing_page(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        notice(alpha, "payment_failed", hosted_invoice_url="javascript:alert(1)")
        en = by_recipient()["admin@alpha.test"]
        assert "javascript" not in str(en.body) + html_of(en)
        assert "https://alpha.localhost/billing/" in str(en.body)

    def test_trial_ending(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        ends = timezone.now() + timedelta(days=3, hours=1)
        notice(alpha, "trial_ending", event_id="evt_trial", ends_at=ends)
        en = by_recipient()["admin@alpha.test"]
        day = timezone.localtime(ends).date()
        assert en.subject == f"The trial of Alpha Ltd ends on {shown(day, 'en')}"
        assert "ends in 4 days" in str(en.body)

    def test_the_same_event_twice_sends_once(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        notice(alpha, "payment_failed", event_id="evt_dup")
        notice(alpha, "payment_failed", event_id="evt_dup")
        assert len(mail.outbox) == 2
        notice(alpha, "payment_failed", event_id="evt_next")  # the next retry's failure
        assert len(mail.outbox) == 4

    def test_the_same_event_twice_sends_once_with_the_cache_down(
        self,
        alpha: Company,
        people: dict[str, User],
        notice: Callable[..., None],
        cache_down: None,
    ) -> None:
        notice(alpha, "payment_failed", event_id="evt_nocache")
        assert len(mail.outbox) == 2
        # the outbox's keys, not the cache, stop the redelivered event
        assert (
            notify.notify_notice(company_id=alpha.pk, kind="payment_failed", event_id="evt_nocache")
            == 0
        )
        assert len(mail.outbox) == 2

    def test_an_unknown_kind_sends_nothing(
        self, alpha: Company, people: dict[str, User], notice: Callable[..., None]
    ) -> None:
        notice(alpha, "lottery_won")
        assert mail.outbox == []
        with pytest.raises(ValueError, match="unknown billing notice"):
            notify.notify_notice(company_id=alpha.pk, kind="lottery_won", event_id="evt_x")

    def test_a_failed_send_can_be_retried(
        self,
        alpha: Company,
        people: dict[str, User],
        monkeypatch: pytest.MonkeyPatch,
        tasks_now: None,
    ) -> None:
        # given the first attempt fails before anything is enqueued
        def boom(*args: Any, **kwargs: Any) -> int:
            raise ConnectionError("broker down")

        original = notify.billing_email_send
        monkeypatch.setattr(notify, "billing_email_send", boom)
        with pytest.raises(ConnectionError):
            notify.notify_notice(company_id=alpha.pk, kind="payment_failed", event_id="evt_r")
        # when it is retried, then it sends
        monkeypatch.setattr(notify, "billing_email_send", original)
        assert notify.notify_notice(company_id=alpha.pk, kind="payment_failed", event_id="evt_r")
        assert len(mail.outbox) == 2


@pytest.mark.django_db
class TestGraceReminder:
    def test_sent_once_two_days_before_the_grace_ends(
        self, alpha: Company, beta: Company, people: dict[str, User], tasks_now: None
    ) -> None:
        # given alpha past due for 5 of its 7 days, beta for 1 day
        put_in_state(alpha, S.PAST_DUE, since=timezone.now() - timedelta(days=5, hours=1))
        put_in_state(beta, S.PAST_DUE, since=timezone.now() - timedelta(days=1))
        # when the reminders run (twice)
        assert notify.grace_reminders.apply().get() == 1
        assert notify.grace_reminders.apply().get() == 0
        # then alpha's owners and admins are reminded once; beta's not yet
        messages = by_recipient()
        assert set(messages) == {"owner@alpha.test", "admin@alpha.test"}
        en = messages["admin@alpha.test"]
        assert en.subject.startswith("Reminder: Alpha Ltd becomes read-only on ")
        assert "In 2 days, on " in str(en.body)

    def test_sent_once_with_the_cache_down(
        self, alpha: Company, people: dict[str, User], tasks_now: None, cache_down: None
    ) -> None:
        put_in_state(alpha, S.PAST_DUE, since=timezone.now() - timedelta(days=5, hours=1))
        assert notify.grace_reminders.apply().get() == 1
        assert notify.grace_reminders.apply().get() == 0
        assert set(by_recipient()) == {"owner@alpha.test", "admin@alpha.test"}

    def test_not_after_the_grace_nor_for_other_states(
        self, alpha: Company, people: dict[str, User], tasks_now: None
    ) -> None:
        put_in_state(alpha, S.PAST_DUE, since=timezone.now() - timedelta(days=8))
        assert notify.grace_reminders.apply().get() == 0
        put_in_state(alpha, S.READ_ONLY, since=timezone.now() - timedelta(days=6))
        assert notify.grace_reminders.apply().get() == 0
        assert mail.outbox == []
