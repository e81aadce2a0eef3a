"""A pooled connection that already has the company's search_path gets no second SET, and a
SET that a rollback took back is never trusted (it would read another company's rows).

These run on a wrapper of their own, outside the test's transaction (autocommit, as a web
request runs), over a pool of its own with one connection, so every "request" borrows the
same one. (It keeps the alias "default" so Django's test case lets it connect; its pool is
separate because the pool registry is per class.) Each
company schema gets a one-row probe table naming the company, read by its unqualified name:
what comes back is whose rows the connection really reads.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from shared_apps.tenants.backend.base import DatabaseWrapper, committed_search_path
from shared_apps.tenants.models import Company


class ProbeWrapper(DatabaseWrapper):
    _connection_pools: dict[str, object] = {}  # not the test connection's pool


@pytest.fixture
def wrapper(alpha: Company, beta: Company) -> Iterator[DatabaseWrapper]:
    settings_dict = copy.deepcopy(connections["default"].settings_dict)
    settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 1, "timeout": 5}
    wrapper = ProbeWrapper(settings_dict, alias="default")
    wrapper.set_schema_to_public()
    with wrapper.cursor() as cursor:
        for company in (alpha, beta):
            cursor.execute(
                f'CREATE TABLE "{company.schema_name}".owner_probe (owner text);'
                f"INSERT INTO \"{company.schema_name}\".owner_probe VALUES ('{company.subdomain}')"
            )
    try:
        yield wrapper
    finally:
        wrapper.set_schema_to_public()
        with wrapper.cursor() as cursor:
            for company in (alpha, beta):
                cursor.execute(f'DROP TABLE IF EXISTS "{company.schema_name}".owner_probe')
        wrapper.close()
        wrapper.close_pool()


def _request(wrapper: DatabaseWrapper, company: Company) -> tuple[str, int]:
    """What routing does per request: public, then the company; one read; connection back to
    the pool. Returns whose row was read and how many SET search_path were sent."""
    wrapper.set_schema_to_public()
    wrapper.set_tenant(company)
    with CaptureQueriesContext(wrapper) as ctx, wrapper.cursor() as cursor:
        cursor.execute("SELECT owner FROM owner_probe")
        owner = str(cursor.fetchone()[0])
    wrapper.close()
    return owner, sum(q["sql"].startswith("SET search_path") for q in ctx.captured_queries)


def test_the_project_uses_this_backend() -> None:
    assert connections["default"].settings_dict["ENGINE"] == "shared_apps.tenants.backend"
    assert isinstance(connections["default"], DatabaseWrapper)


def test_same_company_again_on_the_same_connection_sends_no_set(
    wrapper: DatabaseWrapper, alpha: Company
) -> None:
    assert _request(wrapper, alpha) == ("alpha", 1)
    assert _request(wrapper, alpha) == ("alpha", 0)
    assert _request(wrapper, alpha) == ("alpha", 0)


def test_another_company_on_that_connection_gets_its_own_set(
    wrapper: DatabaseWrapper, alpha: Company, beta: Company
) -> None:
    assert _request(wrapper, alpha) == ("alpha", 1)
    assert _request(wrapper, beta) == ("beta", 1)
    assert _request(wrapper, beta) == ("beta", 0)
    assert _request(wrapper, alpha) == ("alpha", 1)


def test_a_set_taken_back_by_a_rollback_is_not_trusted(
    wrapper: DatabaseWrapper, alpha: Company, beta: Company
) -> None:
    assert _request(wrapper, alpha) == ("alpha", 1)
    # A request that switches to beta inside a transaction which then fails: PostgreSQL
    # reverts the SET, the connection is back on alpha's path.
    wrapper.set_schema_to_public()
    wrapper.set_tenant(beta)
    wrapper.set_autocommit(False)  # what atomic() does at the outermost level
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT owner FROM owner_probe")
        assert cursor.fetchone()[0] == "beta"
    wrapper.rollback()
    wrapper.set_autocommit(True)
    assert committed_search_path(wrapper.connection) is None
    wrapper.close()
    # Had the in-transaction SET been remembered, this would skip its SET and read alpha's row.
    assert _request(wrapper, beta) == ("beta", 1)


def test_a_set_inside_a_committed_transaction_is_set_again_next_time(
    wrapper: DatabaseWrapper, alpha: Company
) -> None:
    wrapper.set_tenant(alpha)
    wrapper.set_autocommit(False)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT owner FROM owner_probe")
        assert cursor.fetchone()[0] == "alpha"
    wrapper.commit()
    wrapper.set_autocommit(True)
    wrapper.close()
    # Not remembered (it could have been rolled back): one more SET, then none.
    assert _request(wrapper, alpha) == ("alpha", 1)
    assert _request(wrapper, alpha) == ("alpha", 0)


def test_a_connection_returned_mid_transaction_is_not_trusted(
    wrapper: DatabaseWrapper, alpha: Company, beta: Company
) -> None:
    assert _request(wrapper, alpha) == ("alpha", 1)
    # The SET runs inside a transaction the wrapper never ends: the pool rolls it back when
    # the connection comes back.
    wrapper.set_tenant(beta)
    wrapper.set_autocommit(False)
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT owner FROM owner_probe")
        assert cursor.fetchone()[0] == "beta"
    wrapper.connection._pool.putconn(wrapper.connection)
    wrapper.connection = None
    wrapper.autocommit = True
    assert _request(wrapper, beta) == ("beta", 1)


def test_inside_a_transaction_the_remembered_path_is_not_trusted(
    wrapper: DatabaseWrapper, alpha: Company, beta: Company
) -> None:
    assert _request(wrapper, alpha) == ("alpha", 1)
    wrapper.set_schema_to_public()
    wrapper.set_tenant(alpha)
    wrapper.set_autocommit(False)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT owner FROM owner_probe")
            assert cursor.fetchone()[0] == "alpha"
            # a SET LOCAL left in place, then a savepoint rolled back: the wrapper forgets its
            # path, the session's path is still beta's until the transaction ends
            cursor.execute('SET LOCAL search_path TO "beta", public')
        sid = wrapper.savepoint()
        wrapper.savepoint_rollback(sid)
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT owner FROM owner_probe")
            # trusting the remembered (committed) path here would have read beta's row
            assert cursor.fetchone()[0] == "alpha"
    finally:
        wrapper.rollback()
        wrapper.set_autocommit(True)
    wrapper.close()
    # the SET inside the transaction made the remembered path unknown: set once more
    assert _request(wrapper, alpha) == ("alpha", 1)
    assert _request(wrapper, alpha) == ("alpha", 0)
