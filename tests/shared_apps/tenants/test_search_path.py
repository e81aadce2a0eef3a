"""With TENANT_LIMIT_SET_CALLS, a rolled-back SET must not leave us reading another company.

PostgreSQL reverts a `SET search_path` made inside a (sub)transaction that is rolled back.
If the connection wrapper kept believing the path was set, the next query would run in the
previous company's schema (django-tenants issue 1262).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction

from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company
from tenant_apps.history.models import AuditEvent


def _current_schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_limit_set_calls_is_on() -> None:
    assert settings.TENANT_LIMIT_SET_CALLS is True


@pytest.mark.django_db
def test_savepoint_rollback_does_not_leave_the_previous_company_selected(
    alpha: Company, beta: Company
) -> None:
    with transaction.atomic():
        connection.set_tenant(alpha)
        AuditEvent.objects.create(action="only-in-alpha", object_type="x", object_id="1")
        sid = transaction.savepoint()
        connection.set_tenant(beta)
        assert _current_schema() == "beta"  # the SET happened inside the savepoint
        transaction.savepoint_rollback(sid)  # ...and PostgreSQL has now reverted it to alpha
        # the wrapper still says beta: the next query must really run in beta
        assert _current_schema() == "beta"
        assert not AuditEvent.objects.filter(action="only-in-alpha").exists()


def _switch_then_fail(company: Company) -> None:
    with transaction.atomic():
        connection.set_tenant(company)
        assert _current_schema() == company.schema_name
        raise RuntimeError


@pytest.mark.django_db
def test_failed_atomic_block_does_not_leave_the_previous_company_selected(
    alpha: Company, beta: Company
) -> None:
    with transaction.atomic():
        connection.set_tenant(alpha)
        AuditEvent.objects.create(action="alpha-row", object_type="x", object_id="1")
        with pytest.raises(RuntimeError):
            _switch_then_fail(beta)
        assert _current_schema() == "beta"
        assert not AuditEvent.objects.filter(action="alpha-row").exists()


@pytest.mark.django_db
def test_switching_company_issues_one_set_and_staying_issues_none(
    alpha: Company, beta: Company
) -> None:
    from django.test.utils import CaptureQueriesContext

    connection.set_tenant(alpha)
    AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        AuditEvent.objects.count()
        AuditEvent.objects.count()
    assert [q["sql"] for q in ctx.captured_queries if "search_path" in q["sql"]] == []
    connection.set_tenant(beta)
    with CaptureQueriesContext(connection) as ctx:
        AuditEvent.objects.count()
    assert len([q for q in ctx.captured_queries if "search_path" in q["sql"]]) == 1
