"""The email outbox: written in the caller's transaction, sent once, and not lost when the
broker (Redis) is down at commit or the cache is down in the worker."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from saas.celery import app
from shared_apps.accounts.models import Membership, User
from shared_apps.billing.services import billing_state_move
from shared_apps.notifications import outbox, services
from shared_apps.notifications.models import OutboundEmail
from shared_apps.notifications.tasks import outbox_flush, outbox_prune, send_email
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.shared_apps.billing.factories import put_in_state
from tests.smtp import smtp_server

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"
Status = OutboundEmail.Status


@pytest.fixture(autouse=True)
def empty_outbox(db: None) -> None:
    """Rows committed by other (transactional) tests would be due for the flush here."""
    OutboundEmail.objects.all().delete()


def _use_broker(url: str) -> None:
    """Point the Celery app at `url`. Its pools are only forgotten, not closed: kombu keeps
    them in a registry by URL, and a closed one would come back for the real broker."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down() -> Iterator[None]:
    """The Celery broker refuses connections (nothing listens on port 1)."""
    real = app.conf.broker_url
    _use_broker(DEAD_REDIS)
    try:
        yield
    finally:
        _use_broker(real)


@pytest.fixture
def broker_hangs() -> Iterator[None]:
    """The Celery broker accepts connections and never answers (a silent TCP server)."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    real = app.conf.broker_url
    _use_broker(f"redis://127.0.0.1:{server.getsockname()[1]}/0")
    try:
        yield
    finally:
        _use_broker(real)
        server.close()
        for conn in accepted:
            conn.close()


def enqueue(key: str, *, template: str = "welcome", to: str = "x@example.test") -> None:
    services.email_enqueue(
        template=template,
        to_email=to,
        context={"name": "X", "company_name": "Alpha Ltd", "company_url": "https://a/"},
        idempotency_key=key,
    )


def make_due(email: OutboundEmail) -> None:
    """As if the flush's first look (a minute after the commit) had come."""
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_rolled_back_write_leaves_no_email(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    def write_that_fails() -> None:
        with transaction.atomic():
            make_user(email="gone@example.test")
            enqueue("rolled-back", to="gone@example.test")
            raise RuntimeError("the write fails")

    # given a write that asks for an email and then fails
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        write_that_fails()
    # then neither the user, nor the message, nor a send exists
    assert not User.objects.filter(email="gone@example.test").exists()
    assert not OutboundEmail.objects.filter(idempotency_key="rolled-back").exists()
    assert callbacks == []
    assert email_worker == []


def test_a_duplicate_key_adds_nothing_and_keeps_the_transaction(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        enqueue("dup")
        enqueue("dup")  # no error
        user = make_user(email="after@example.test")  # the transaction still works
    assert user.pk is not None
    assert OutboundEmail.objects.filter(idempotency_key="dup").count() == 1
    assert len(callbacks) == 1


def test_sign_up_while_the_broker_is_down_then_the_flush_sends_once(
    broker_down: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given the broker is down, when someone signs up
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="shared_apps.notifications.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/accounts/signup/",
            {
                "email": "broker.down@example.test",
                "full_name": "Broker Down",
                "password1": "a-long-passphrase-2026",
                "password2": "a-long-passphrase-2026",
            },
        )
    elapsed = time.monotonic() - started
    # then the sign-up succeeds, the user exists and the confirmation waits in the outbox
    assert response.status_code == 302
    assert User.objects.filter(email="broker.down@example.test").exists()
    email = OutboundEmail.objects.get(to="broker.down@example.test")
    assert (email.status, email.attempts, email.template) == ("pending", 0, "account_message")
    assert "not handed to the broker (OperationalError)" in caplog.text
    assert "127.0.0.1:1" not in caplog.text
    assert elapsed < 5  # the whole request; the failed publish itself takes milliseconds

    # when the broker is back and the periodic flush runs (a worker runs what it enqueues)
    calls: list[dict[str, Any]] = []

    def worker(**kwargs: Any) -> None:
        calls.append(kwargs)
        send_email.apply(kwargs=kwargs)

    monkeypatch.setattr(send_email, "delay", worker)
    with smtp_server() as smtp:
        assert outbox_flush.apply().result == 0  # not due yet: the commit was just now
        make_due(email)
        assert outbox_flush.apply().result == 1
        assert outbox_flush.apply().result == 0  # sent: nothing left to flush
        send_email.apply(kwargs={"outbox_id": email.pk})  # a redelivered task
    # then the confirmation was delivered exactly once, and the row keeps no links
    assert smtp.inbox.recipients == [["broker.down@example.test"]]
    assert "/accounts/confirm-email/" in str(
        smtp.inbox.messages[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    )
    assert [call["outbox_id"] for call in calls] == [email.pk]
    email.refresh_from_db()
    assert (email.status, email.attempts, email.context) == ("sent", 1, {})
    assert email.sent_at is not None


def test_publishing_to_a_dead_broker_is_quick_and_quiet(broker_down: None) -> None:
    with transaction.atomic():
        enqueue("quick")
    email = OutboundEmail.objects.get(idempotency_key="quick")
    started = time.monotonic()
    assert outbox.outbox_publish(email) is False
    assert time.monotonic() - started < 1.0  # measured: a few milliseconds


def test_publishing_to_a_hanging_broker_gives_up_after_its_socket_timeouts(
    broker_hangs: None,
) -> None:
    with transaction.atomic():
        enqueue("hanging")
    email = OutboundEmail.objects.get(idempotency_key="hanging")
    outcome: list[bool] = []
    publisher = threading.Thread(target=lambda: outcome.append(outbox.outbox_publish(email)))
    publisher.daemon = True
    started = time.monotonic()
    publisher.start()
    # Without socket timeouts redis-py waits for an answer forever.
    publisher.join(timeout=60)
    assert outcome == [False]
    # two attempts (the publish retries once), each ending on the read timeout
    assert time.monotonic() - started < 4 * settings.BROKER_SOCKET_TIMEOUT
    email.refresh_from_db()
    assert email.status == Status.PENDING  # the flush hands it over later


def test_a_duplicated_task_sends_once(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with smtp_server() as smtp:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue("twice-delivered")
        email = OutboundEmail.objects.get(idempotency_key="twice-delivered")
        again = send_email.apply(kwargs={"outbox_id": email.pk})
    assert again.result is False
    assert len(smtp.inbox.messages) == 1
    assert len(email_worker) == 1


def test_a_row_being_sent_is_not_claimed_twice_until_its_worker_is_stale() -> None:
    with transaction.atomic():
        enqueue("claimed")
    email = OutboundEmail.objects.get(idempotency_key="claimed")
    assert outbox.outbox_claim(email.pk) is not None
    assert outbox.outbox_claim(email.pk) is None  # another worker has it
    # its worker died: after STALE_AFTER the row is due for the flush and claimable again
    long_ago = timezone.now() - outbox.STALE_AFTER - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=email.pk).update(claimed_at=long_ago, next_attempt_at=long_ago)
    assert list(outbox.outbox_due()) == [email]
    claimed = outbox.outbox_claim(email.pk)
    assert claimed is not None
    assert claimed.attempts == 2


def test_the_flush_sends_a_row_whose_worker_died(email_worker: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        enqueue("died")
    email = OutboundEmail.objects.get(idempotency_key="died")
    outbox.outbox_claim(email.pk)  # and the worker is killed before it sends
    long_ago = timezone.now() - outbox.STALE_AFTER - timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=email.pk).update(claimed_at=long_ago, next_attempt_at=long_ago)
    with smtp_server() as smtp:
        assert outbox_flush.apply().result == 1
    assert len(smtp.inbox.messages) == 1
    assert OutboundEmail.objects.get(pk=email.pk).status == Status.SENT


def test_the_cache_being_down_does_not_stop_sending(
    cache_down: None, email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with smtp_server() as smtp:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue("no-cache")
        email = OutboundEmail.objects.get(idempotency_key="no-cache")
        assert send_email.apply(kwargs={"outbox_id": email.pk}).result is False  # sent once
    assert len(smtp.inbox.messages) == 1
    assert OutboundEmail.objects.get(pk=email.pk).status == Status.SENT


def test_a_sent_row_no_longer_holds_the_context(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    link = "https://localhost/accounts/password/reset/key/secret-token/"
    with smtp_server() as smtp, django_capture_on_commit_callbacks(execute=True):
        services.email_enqueue(
            template="account_message",
            to_email="reset@example.test",
            context={"subject": "Reset", "body": f"Open {link}"},
            idempotency_key="reset-1",
        )
    assert link in str(
        smtp.inbox.messages[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    )
    email = OutboundEmail.objects.get(idempotency_key="reset-1")
    assert email.status == Status.SENT
    assert email.context == {}
    # nor did the broker's message ever hold it (or the address)
    assert [sorted(message) for message in email_worker] == [
        ["idempotency_key", "language", "outbox_id", "template"]
    ]
    assert link not in str(email_worker)
    assert "reset@example.test" not in str(email_worker)
    assert link not in str(OutboundEmail.objects.filter(pk=email.pk).values().get())


def test_a_permanent_error_gives_up_without_keeping_the_context(
    email_worker: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enqueue("no-template", template="no_such_template")
    email = OutboundEmail.objects.get(idempotency_key="no-template")
    assert (email.status, email.context) == (Status.FAILED, {})
    assert email.last_error.startswith("TemplateDoesNotExist")
    assert outbox.outbox_claim(email.pk) is None  # not retried
    assert list(outbox.outbox_due(timezone.now() + timedelta(days=1))) == []


def test_a_network_error_after_a_day_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(send_email, "max_retries", 0)
    with transaction.atomic():
        enqueue("long-down")
    OutboundEmail.objects.filter(idempotency_key="long-down").update(
        created_at=timezone.now() - timedelta(days=2), attempts=outbox.GIVE_UP_MIN_ATTEMPTS
    )
    email = OutboundEmail.objects.get(idempotency_key="long-down")
    with smtp_server(start=False):  # nothing listens
        result = send_email.apply(kwargs={"outbox_id": email.pk})
    assert isinstance(result.result, ConnectionRefusedError)
    email.refresh_from_db()
    assert (email.status, email.context) == (Status.FAILED, {})


def test_prune_deletes_old_sent_and_given_up_rows_only() -> None:
    now = timezone.now()
    for key in ("old-sent", "new-sent", "old-pending", "old-failed", "new-failed"):
        with transaction.atomic():
            enqueue(key)
    rows = OutboundEmail.objects
    rows.filter(idempotency_key="old-sent").update(status=Status.SENT, sent_at=now - timedelta(8))
    rows.filter(idempotency_key="new-sent").update(status=Status.SENT, sent_at=now - timedelta(6))
    rows.filter(idempotency_key="old-pending").update(created_at=now - timedelta(60))
    rows.filter(idempotency_key="old-failed").update(
        status=Status.FAILED, created_at=now - timedelta(31)
    )
    rows.filter(idempotency_key="new-failed").update(status=Status.FAILED)
    assert outbox_prune.apply().result == 2
    assert set(rows.values_list("idempotency_key", flat=True)) == {
        "new-sent",
        "old-pending",
        "new-failed",
    }


def test_a_billing_notice_survives_the_broker_being_down(
    alpha: Company, broker_down: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given an English admin besides alpha's owner, and a dead broker
    admin = make_user(email="admin@alpha.test", language="en")
    Membership.objects.create(user=admin, company=alpha, role=Membership.Role.ADMIN)
    put_in_state(alpha, Company.BillingState.ACTIVE)
    # when the company becomes past due (its signal fires after the commit)
    with django_capture_on_commit_callbacks(execute=True):
        change = billing_state_move(
            company=alpha, to=Company.BillingState.PAST_DUE, reason="test", source="reconcile"
        )
    # then the billing task ran in-process and both emails wait in the outbox
    assert change is not None
    pending = OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:move:{change.pk}:")
    assert sorted(pending.values_list("to", flat=True)) == ["admin@alpha.test", "owner@alpha.test"]
    assert set(pending.values_list("status", flat=True)) == {Status.PENDING}


def test_the_admin_lists_rows_without_their_context() -> None:
    with transaction.atomic():
        services.email_enqueue(
            template="account_message",
            to_email="listed@example.test",
            context={"subject": "Reset", "body": "https://localhost/reset/key/secret-token/"},
            idempotency_key="admin-listed",
        )
    email = OutboundEmail.objects.get(idempotency_key="admin-listed")
    staff = make_user(email="root@example.test", is_staff=True, is_superuser=True)
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    listing = client.get("/admin/notifications/outboundemail/")
    detail = client.get(f"/admin/notifications/outboundemail/{email.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    assert "listed@example.test" in listing.content.decode()
    assert "secret-token" not in listing.content.decode() + detail.content.decode()


def test_a_key_longer_than_the_column_is_shortened_consistently() -> None:
    long_key = "k" * 300
    with transaction.atomic():
        enqueue(long_key)
        enqueue(long_key)  # still recognised as the same message
        enqueue(long_key[:-1] + "x")  # another one
    keys = list(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2
    assert all(len(key) == outbox.KEY_LENGTH and key.startswith("kkk") for key in keys)
