"""Canceled companies: the final export email first, the deletion after the retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.audit.models import PlatformEvent
from shared_apps.billing import retention
from shared_apps.tenants import hooks
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from tests.shared_apps.billing.factories import put_in_state

S = Company.BillingState
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _emails(send_emails_now: None) -> None:
    mail.outbox.clear()


@pytest.fixture
def gamma(db: None) -> Company:
    """A company of this test only (provisioned in the test's transaction)."""
    return company_provision(name="Gamma", subdomain="gamma", owner_email="owner@gamma.test")


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def canceled(company: Company, days_ago: float, now: datetime) -> Company:
    return put_in_state(company, S.CANCELED, since=now - timedelta(days=days_ago))


def purge(now: datetime) -> retention.PurgeResult:
    return retention.billing_canceled_purge(now=now)


@pytest.mark.django_db
class TestCanceledPurge:
    def test_nothing_happens_well_before_the_retention_ends(self, gamma: Company) -> None:
        now = timezone.now()
        canceled(gamma, 20, now)
        assert purge(now) == retention.PurgeResult(emailed=0, deleted=0)
        assert mail.outbox == []
        assert schema_exists(gamma.schema_name)

    def test_the_final_email_goes_out_a_week_before_the_deletion(self, gamma: Company) -> None:
        # given gamma canceled 24 days ago (the data goes 30 days after)
        now = timezone.now()
        canceled(gamma, 24, now)
        # when the job runs
        assert purge(now) == retention.PurgeResult(emailed=1, deleted=0)
        # then the owner is told the date, and nothing is deleted yet
        (message,) = mail.outbox
        assert message.to == ["owner@gamma.test"]
        assert "will be deleted" in message.subject or "ще бъдат изтрити" in message.subject
        assert "https://gamma.localhost/export/final/" in str(message.body)
        event = PlatformEvent.objects.get(
            action=retention.FINAL_EXPORT_EMAILED, company_id=gamma.pk
        )
        assert (event.actor, event.company_id, event.data["recipients"]) == (None, gamma.pk, 1)
        assert schema_exists(gamma.schema_name)
        # and running again sends nothing more
        assert purge(now + DAY) == retention.PurgeResult(emailed=0, deleted=0)
        assert len(mail.outbox) == 1

    def test_deleted_after_the_retention_and_the_notice(
        self, gamma: Company, alpha: Company, beta: Company
    ) -> None:
        # given gamma canceled 24 days ago and emailed; beta canceled recently; alpha trialing
        now = timezone.now()
        canceled(gamma, 24, now)
        canceled(beta, 3, now)
        purge(now)
        schema = gamma.schema_name
        # when the retention has not ended yet (day 29): kept
        assert purge(now + 5 * DAY).deleted == 0
        # when it has (day 31): gamma goes, audited by the system
        assert purge(now + 7 * DAY) == retention.PurgeResult(emailed=0, deleted=1)
        assert not Company.objects.filter(pk=gamma.pk).exists()
        assert not schema_exists(schema)
        deleted = PlatformEvent.objects.get(action="company.deleted", company_id=gamma.pk)
        assert deleted.actor is None
        expired = PlatformEvent.objects.get(action=retention.RETENTION_EXPIRED, company_id=gamma.pk)
        assert expired.data["subdomain"] == "gamma"
        # and the others are untouched
        assert schema_exists(alpha.schema_name)
        assert schema_exists(beta.schema_name)
        assert Company.objects.filter(pk__in=[alpha.pk, beta.pk]).count() == 2

    def test_never_deleted_without_the_email_first(self, gamma: Company) -> None:
        # given a company long past its retention that was never emailed (the job was down)
        now = timezone.now()
        canceled(gamma, 90, now)
        # when the job runs: the email goes out, the deletion waits the notice period
        assert purge(now) == retention.PurgeResult(emailed=1, deleted=0)
        assert schema_exists(gamma.schema_name)
        assert purge(now + 6 * DAY).deleted == 0
        assert purge(now + 7 * DAY + timedelta(minutes=1)).deleted == 1

    def test_a_company_back_from_canceled_is_kept(self, gamma: Company) -> None:
        now = timezone.now()
        canceled(gamma, 24, now)
        purge(now)
        put_in_state(gamma, S.ACTIVE, since=now)
        assert purge(now + 30 * DAY) == retention.PurgeResult(emailed=0, deleted=0)
        assert schema_exists(gamma.schema_name)

    def test_an_email_of_an_earlier_cancellation_does_not_count(self, gamma: Company) -> None:
        # given gamma emailed during an earlier cancellation, then restored
        now = timezone.now()
        canceled(gamma, 24, now)
        purge(now)
        # when it is canceled again and that cancellation runs out
        later = now + 40 * DAY
        Company.objects.filter(pk=gamma.pk).update(billing_state_changed_at=now + DAY)
        # then a new email goes out before any deletion
        assert purge(later) == retention.PurgeResult(emailed=1, deleted=0)
        assert schema_exists(gamma.schema_name)

    def test_a_failing_company_does_not_stop_the_others(
        self, gamma: Company, beta: Company, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        now = timezone.now()
        canceled(gamma, 40, now)
        canceled(beta, 40, now)
        real = retention.company_delete

        def flaky(*, company: Company, actor: Any) -> None:
            if company.pk == beta.pk:
                raise RuntimeError("disk full")
            real(company=company, actor=actor)

        monkeypatch.setattr(retention, "company_delete", flaky)
        purge(now)
        assert purge(now + 8 * DAY).deleted == 1
        assert Company.objects.filter(pk=beta.pk).exists()
        assert not Company.objects.filter(pk=gamma.pk).exists()

    def test_the_beat_task(self, gamma: Company) -> None:
        canceled(gamma, 24, timezone.now())
        assert retention.canceled_purge.apply().get() == {"emailed": 1, "deleted": 0}


@pytest.fixture
def export_link() -> Iterator[list[dict[str, Any]]]:
    """The CRM's provider replaced by one that records its calls."""
    calls: list[dict[str, Any]] = []

    def provider(*, company: Company, expires_at: datetime) -> str:
        calls.append({"company": company, "expires_at": expires_at})
        return f"https://{company.subdomain}.localhost/export/final/signed-token/"

    with hooks.final_export_link.replaced(provider):
        yield calls


@pytest.fixture
def no_export_link() -> Iterator[None]:
    """The CRM's provider replaced by one that gives no link."""
    with hooks.final_export_link.replaced(lambda **kwargs: None):
        yield


@pytest.mark.django_db
def test_the_email_carries_the_export_link_when_a_provider_gives_one(
    gamma: Company, export_link: list[dict[str, Any]]
) -> None:
    now = timezone.now()
    canceled(gamma, 24, now)
    purge(now)
    (message,) = mail.outbox
    assert "https://gamma.localhost/export/final/signed-token/" in str(message.body)
    (call,) = export_link
    # the link lives until the deletion: a week after the email (the retention ends sooner)
    assert call["expires_at"] == now + timedelta(days=7)
    event = PlatformEvent.objects.get(action=retention.FINAL_EXPORT_EMAILED, company_id=gamma.pk)
    assert event.data["export_link"] is True


@pytest.mark.django_db
def test_without_a_link_the_email_says_how_to_export(gamma: Company, no_export_link: None) -> None:
    User.objects.filter(email="owner@gamma.test").update(language="en")
    now = timezone.now()
    canceled(gamma, 24, now)
    purge(now)
    (message,) = mail.outbox
    assert "/export/final/" not in str(message.body)
    assert "Export your lists as CSV from the company pages" in str(message.body)
    assert "https://gamma.localhost/" in str(message.body)
    event = PlatformEvent.objects.get(action=retention.FINAL_EXPORT_EMAILED, company_id=gamma.pk)
    assert event.data["export_link"] is False


@pytest.mark.django_db
def test_a_failing_provider_does_not_stop_the_email(gamma: Company) -> None:
    def broken(**kwargs: Any) -> str:
        raise RuntimeError("schema gone")

    with hooks.final_export_link.replaced(broken):
        canceled(gamma, 24, timezone.now())
        assert purge(timezone.now()).emailed == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_crm_gives_its_signed_export_link(gamma: Company) -> None:
    # the CRM app registers its provider at start-up: the email links its download
    now = timezone.now()
    canceled(gamma, 24, now)
    purge(now)
    (message,) = mail.outbox
    assert "https://gamma.localhost/export/final/" in str(message.body)
