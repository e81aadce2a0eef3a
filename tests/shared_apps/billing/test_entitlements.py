"""Entitlements: seats (members and open invitations), contacts, storage, AI requests per
month, API requests per minute; messages naming the limit and the plan that lifts it;
parallel takes at the limit never pass it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.utils import timezone, translation
from django_tenants.utils import schema_context

from saas.cache_guard import CacheUnavailable
from shared_apps.accounts import entitlements as accounts_entitlements
from shared_apps.accounts import team
from shared_apps.accounts.models import Invitation
from shared_apps.billing import entitlements as ent
from shared_apps.billing.models import Plan, UsageCounter
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact
from tenant_apps.crm.services.contacts import contact_create, contact_delete, contact_restore
from tests.conftest import host_client
from tests.shared_apps.billing.factories import make_plan

LimitReached = ent.LimitReached


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def on_plan(company: Company, plan: Plan) -> Company:
    Company.objects.filter(pk=company.pk).update(plan=plan)
    company.refresh_from_db()
    return company


def limited(slug: str = "starter", **limits: int | None) -> Plan:
    """A seeded plan with some limits changed (the test's transaction undoes it)."""
    Plan.objects.filter(slug=slug).update(**limits)
    return Plan.objects.get(slug=slug)


# --- Plans, periods, messages ---------------------------------------------------------------


def test_accounts_module_re_exports_the_billing_one() -> None:
    assert accounts_entitlements.LimitReached is ent.LimitReached
    assert accounts_entitlements.seats_check is ent.seats_check


@pytest.mark.django_db
def test_plan_lifting_is_the_cheapest_listed_plan_with_room() -> None:
    starter = Plan.objects.get(slug="starter")

    def lifting(limit: str, needed: int) -> str | None:
        plan = ent.plan_lifting(plan=starter, limit=limit, needed=needed)
        return plan.slug if plan is not None else None

    assert lifting(ent.CONTACTS, 5_001) == "pro"
    assert lifting(ent.CONTACTS, 60_000) == "enterprise"
    assert lifting(ent.STORAGE, 200 * 1024 * ent.MB) is None
    # A hidden plan never lifts anything.
    make_plan(slug="secret", is_public=False, price_monthly_cents=1, contacts=None)
    assert lifting(ent.CONTACTS, 5_001) == "pro"


def test_billing_period_is_the_calendar_month_in_sofia() -> None:
    # 22:30 UTC on 31 January is 00:30 on 1 February in Sofia (UTC+2).
    assert ent.billing_period(datetime(2026, 1, 31, 22, 30, tzinfo=UTC)) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    assert ent.billing_period(datetime(2026, 1, 31, 21, 30, tzinfo=UTC)) == (
        date(2026, 1, 1),
        date(2026, 2, 1),
    )
    assert ent.billing_period(datetime(2026, 12, 15, tzinfo=UTC)) == (
        date(2026, 12, 1),
        date(2027, 1, 1),
    )


@pytest.mark.django_db
def test_no_plan_means_no_limit(alpha: Company) -> None:
    Company.objects.filter(pk=alpha.pk).update(plan=None)
    alpha.refresh_from_db()
    with transaction.atomic():
        ent.seats_check(company=alpha)
        ent.contacts_check(company=alpha, adding=10**6)
    ent.ai_request_take(company=alpha, n=10**6)
    ent.api_rate_take(company=alpha)


# --- Seats ----------------------------------------------------------------------------------


def _invitation(company: Company, email: str, **kwargs: object) -> Invitation:
    defaults: dict[str, object] = {
        "role": "member",
        "token_hash": email.ljust(64, "x")[:64],
        "expires_at": timezone.now() + timedelta(days=7),
    }
    return Invitation.objects.create(company=company, email=email, **(defaults | kwargs))


@pytest.mark.django_db
def test_seats_count_members_and_open_invitations(alpha: Company) -> None:
    on_plan(alpha, limited(seats=3))  # alpha has its owner
    _invitation(alpha, "a@example.test")
    _invitation(alpha, "old@example.test", expires_at=timezone.now() - timedelta(days=1))
    _invitation(alpha, "gone@example.test", revoked_at=timezone.now())
    assert ent.seats_used(company=alpha) == 2
    with transaction.atomic():
        ent.seats_check(company=alpha)  # a third seat is free
    second = _invitation(alpha, "b@example.test")
    with pytest.raises(LimitReached) as exc, transaction.atomic():
        ent.seats_check(company=alpha)
    assert exc.value.limit == "seats"
    assert exc.value.code == "limit_reached"
    assert exc.value.messages == [
        "Your Starter plan allows 3 members. The Pro plan allows 10 members. "
        "Members and open invitations take all seats."
    ]
    # Accepting an invitation uses the seat it holds.
    with transaction.atomic():
        ent.seats_check(company=alpha, accepting=second)


@pytest.mark.django_db
def test_invitation_over_the_seats_is_refused_and_not_saved(alpha: Company) -> None:
    on_plan(alpha, limited(seats=1))
    owner = alpha.memberships.get(role="owner").user
    with pytest.raises(LimitReached, match=r"Your Starter plan allows 1 member\."):
        team.invitation_create(company=alpha, email="x@example.test", role="member", actor=owner)
    assert not Invitation.objects.filter(email="x@example.test").exists()


@pytest.mark.django_db
def test_invitation_screen_over_the_seats_is_a_form_error(alpha: Company) -> None:
    on_plan(alpha, limited(seats=2))
    _invitation(alpha, "held@example.test")
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(alpha.memberships.get(role="owner").user)
    response = client.post("/team/invite/", {"email": "new@example.test", "role": "member"})
    assert response.status_code == 400
    assert "Your Starter plan allows 2 members. The Pro plan allows 10 members." in (
        response.content.decode()
    )
    assert not Invitation.objects.filter(email="new@example.test").exists()


# --- Contacts -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_contact_over_the_limit_is_refused_naming_the_plans(alpha: Company) -> None:
    on_plan(alpha, limited(contacts=2))
    owner = alpha.memberships.get(role="owner").user
    with schema_context("alpha"):
        first = contact_create(actor=owner, last_name="One")
        contact_create(actor=owner, last_name="Two")
        with pytest.raises(LimitReached) as exc:
            contact_create(actor=owner, last_name="Three")
        assert exc.value.limit == "contacts"
        assert exc.value.messages == [
            "Your Starter plan allows 2 contacts. The Pro plan allows 50,000 contacts."
        ]
        assert Contact.objects.count() == 2
        # The bin does not count; restoring from it does.
        contact_delete(contact=first, actor=owner)
        contact_create(actor=owner, last_name="Three")
        first.refresh_from_db()
        with pytest.raises(LimitReached):
            contact_restore(contact=first, actor=owner)
        first.refresh_from_db()
        assert first.deleted_at is not None


@pytest.mark.django_db
def test_unlimited_lifting_plan_is_named_as_unlimited(alpha: Company) -> None:
    limited(slug="starter", contacts=1)
    on_plan(alpha, limited(slug="pro", contacts=1))
    owner = alpha.memberships.get(role="owner").user
    with schema_context("alpha"):
        contact_create(actor=owner, last_name="One")
        with pytest.raises(LimitReached) as exc:
            contact_create(actor=owner, last_name="Two")
    assert exc.value.messages == [
        "Your Pro plan allows 1 contact. The Enterprise plan allows unlimited contacts."
    ]


@pytest.mark.django_db
def test_counted_limits_refuse_outside_a_transaction(alpha: Company) -> None:
    on_plan(alpha, limited(contacts=5))
    # pytest-django's test transaction counts as atomic; leave it to check the guard.
    atomic = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            ent.contacts_check(company=alpha)
    finally:
        connection.in_atomic_block = atomic


# --- Storage, AI requests, API rate --------------------------------------------------------


@pytest.mark.django_db
def test_storage_reserve_and_release(alpha: Company) -> None:
    on_plan(alpha, limited(storage_mb=1))
    ent.storage_reserve(company=alpha, bytes=600 * 1024)
    ent.storage_reserve(company=alpha, bytes=400 * 1024)
    with pytest.raises(LimitReached) as exc:
        ent.storage_reserve(company=alpha, bytes=100 * 1024)
    assert exc.value.limit == "storage"
    assert exc.value.messages == [
        "Your Starter plan allows 1 MB of file storage. The Pro plan allows 10 GB of file storage."
    ]
    assert ent.storage_used(company=alpha) == 1000 * 1024
    ent.storage_release(company=alpha, bytes=500 * 1024)
    ent.storage_reserve(company=alpha, bytes=100 * 1024)
    ent.storage_release(company=alpha, bytes=10 * ent.MB)
    assert ent.storage_used(company=alpha) == 0
    with pytest.raises(ValueError, match="negative"):
        ent.storage_reserve(company=alpha, bytes=-1)


@pytest.mark.django_db
def test_ai_requests_per_month_reset_in_sofia(alpha: Company) -> None:
    on_plan(alpha, limited(ai_requests_per_month=2))
    january = datetime(2026, 1, 31, 21, 0, tzinfo=UTC)  # 23:00 in Sofia
    ent.ai_request_take(company=alpha, now=january)
    ent.ai_request_take(company=alpha, now=january)
    with pytest.raises(LimitReached) as exc:
        ent.ai_request_take(company=alpha, now=january)
    assert exc.value.limit == "ai_requests"
    assert exc.value.messages == [
        "Your Starter plan allows 2 AI requests a month. The Pro plan allows 1,000 AI "
        "requests a month. The count starts again on Feb. 1, 2026."
    ]
    # An hour later it is February in Sofia: a new count.
    ent.ai_request_take(company=alpha, now=january + timedelta(hours=1))
    assert ent.ai_requests_used(company=alpha, now=january) == 2
    assert ent.ai_requests_used(company=alpha, now=january + timedelta(hours=1)) == 1
    with pytest.raises(LimitReached):
        ent.ai_request_take(company=alpha, n=2, now=january + timedelta(hours=1))
    assert ent.ai_requests_used(company=alpha, now=january + timedelta(hours=1)) == 1


@pytest.mark.django_db
def test_api_rate_per_minute(alpha: Company, beta: Company) -> None:
    on_plan(alpha, limited(api_requests_per_minute=3))
    on_plan(beta, limited(api_requests_per_minute=3))
    minute = datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)
    for _ in range(3):
        ent.api_rate_take(company=alpha, now=minute)
    with pytest.raises(LimitReached) as exc:
        ent.api_rate_take(company=alpha, now=minute + timedelta(seconds=30))
    assert exc.value.limit == "api_rate"
    assert "3 API requests a minute" in exc.value.messages[0]
    ent.api_rate_take(company=beta, now=minute)  # another company's window
    window = ent.api_rate_take(company=alpha, now=minute + timedelta(seconds=60))
    assert window.used == 1
    assert window.resets_at == datetime(2026, 3, 1, 10, 2, tzinfo=UTC)


@pytest.mark.django_db
def test_api_rate_fails_closed_when_redis_is_down(
    alpha: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_plan(alpha, limited(api_requests_per_minute=1))

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr(caches["default"], "add", down)
    for _ in range(3):
        with pytest.raises(CacheUnavailable):
            ent.api_rate_take(company=alpha)


# --- Parallel takes at the limit (committed rows, separate connections) ----------------------


def _parallel(n: int, work: Callable[[int], None]) -> list[str]:
    """Run `work(i)` in `n` threads started together; each result is "ok" or the limit."""
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
            outcome = "ok"
        except LimitReached as exc:
            outcome = exc.limit
        except Exception as exc:  # reported in the assertion below
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def committed_plan(django_db_blocker: pytest.FixtureRequest) -> Iterator[tuple[Company, Plan]]:
    """Alpha on a committed plan for the threads to see; alpha's plan, the plan and what
    the threads made are removed afterwards (the companies live for the whole run)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        alpha = Company.objects.get(subdomain="alpha")
        old_plan_id = alpha.plan_id
        plan = make_plan(slug="parallel", contacts=5, ai_requests_per_month=7)
        on_plan(alpha, plan)
        try:
            yield alpha, plan
        finally:
            with schema_context("alpha"):
                from tenant_apps.history.models import AuditEvent

                made = list(Contact.objects.filter(last_name__startswith="Parallel"))
                AuditEvent.objects.filter(
                    object_type="crm.contact", object_id__in=[str(c.pk) for c in made]
                ).delete()
                Contact.objects.filter(pk__in=[c.pk for c in made]).delete()
            UsageCounter.objects.filter(company=alpha).delete()
            Company.objects.filter(pk=alpha.pk).update(plan_id=old_plan_id)
            plan.delete()
            caches["default"].clear()


def test_parallel_contact_creations_stop_exactly_at_the_limit(
    committed_plan: tuple[Company, Plan], django_db_blocker: pytest.FixtureRequest
) -> None:
    alpha, _plan = committed_plan
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        owner = alpha.memberships.get(role="owner").user

        def create(i: int) -> None:
            with schema_context("alpha"):
                contact_create(actor=owner, last_name=f"Parallel {i}")

        results = _parallel(12, create)
        assert sorted(results) == ["contacts"] * 7 + ["ok"] * 5, results
        with schema_context("alpha"):
            assert Contact.objects.filter(last_name__startswith="Parallel").count() == 5


def test_parallel_ai_requests_stop_exactly_at_the_limit(
    committed_plan: tuple[Company, Plan], django_db_blocker: pytest.FixtureRequest
) -> None:
    alpha, _plan = committed_plan
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        results = _parallel(16, lambda i: ent.ai_request_take(company=alpha))
        assert sorted(results) == ["ai_requests"] * 9 + ["ok"] * 7, results
        assert ent.ai_requests_used(company=alpha) == 7
