"""The host -> company lookup: Redis shared by all processes, and a few seconds' copy per process.

"Another process" is simulated by what it leaves behind: a change made elsewhere reaches this
process only as a changed row and a dropped Redis entry (routing_forget runs over there), never
as a call into this process's memory.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test.utils import CaptureQueriesContext, override_settings

from shared_apps.tenants import selectors
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.selectors import company_for_host, routing_cache_key
from tests.conftest import host_client


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(selectors, "_now", clock)
    return clock


def _changed_elsewhere(company: Company, **fields: object) -> None:
    Company.objects.filter(pk=company.pk).update(**fields)
    caches["default"].delete(routing_cache_key(f"{company.subdomain}.localhost"))


@pytest.mark.django_db
def test_a_warm_lookup_costs_no_query_and_no_redis(alpha: Company, clock: Clock) -> None:
    assert company_for_host("alpha.localhost") == alpha
    caches["default"].clear()  # Redis no longer has it: only this process's copy can answer
    with CaptureQueriesContext(connection) as ctx:
        assert company_for_host("alpha.localhost") == alpha
    assert ctx.captured_queries == []


@pytest.mark.django_db
def test_a_company_disabled_by_another_process_stops_being_served_within_the_bound(
    alpha: Company, clock: Clock
) -> None:
    client = host_client("alpha.localhost")
    assert client.get("/accounts/login/").status_code == 200
    _changed_elsewhere(alpha, status=Company.Status.DISABLED)
    clock.now += 4.9
    assert client.get("/accounts/login/").status_code == 200  # still this process's copy
    clock.now += 0.2  # 5.1 s: past ROUTING_LOCAL_CACHE_SECONDS
    assert client.get("/accounts/login/").status_code == 404


@pytest.mark.django_db
def test_a_domain_removed_by_another_process_stops_being_served_within_the_bound(
    beta: Company, clock: Clock
) -> None:
    assert company_for_host("beta.localhost") == beta
    Domain.objects.filter(domain="beta.localhost").update(domain="beta-old.localhost")
    caches["default"].delete(routing_cache_key("beta.localhost"))
    clock.now += 4.0
    assert company_for_host("beta.localhost") == beta
    clock.now += 1.5
    assert company_for_host("beta.localhost") is None
    assert company_for_host("beta-old.localhost") == beta


@pytest.mark.django_db
def test_a_change_made_in_this_process_is_seen_at_once(alpha: Company, clock: Clock) -> None:
    assert company_for_host("alpha.localhost") == alpha
    alpha.status = Company.Status.DISABLED
    alpha.save()  # the signal drops the copy here and in Redis
    assert company_for_host("alpha.localhost").status == Company.Status.DISABLED  # type: ignore[union-attr]
    assert host_client("alpha.localhost").get("/accounts/login/").status_code == 404


@pytest.mark.django_db
def test_unknown_hosts_are_not_kept_so_a_new_company_is_served_at_once(
    alpha: Company, clock: Clock
) -> None:
    assert company_for_host("gamma.localhost") is None
    # Added where no signal reaches this process; Redis' "missing" entry dropped over there.
    Domain.objects.bulk_create([Domain(domain="gamma.localhost", tenant=alpha)])
    caches["default"].delete(routing_cache_key("gamma.localhost"))
    assert company_for_host("gamma.localhost") == alpha


@pytest.mark.django_db
def test_each_caller_gets_its_own_copy(alpha: Company, clock: Clock) -> None:
    first = company_for_host("alpha.localhost")
    assert first is not None
    first.domain_url = "changed.localhost"
    first.name = "Changed"
    second = company_for_host("alpha.localhost")
    assert second is not None
    assert second is not first
    assert second.name == "Alpha Ltd"
    assert second.domain_url != "changed.localhost"


@pytest.mark.django_db
@override_settings(ROUTING_LOCAL_CACHE_SECONDS=0)
def test_zero_seconds_turns_the_copy_off(alpha: Company, clock: Clock) -> None:
    assert company_for_host("alpha.localhost") == alpha
    caches["default"].clear()
    with CaptureQueriesContext(connection) as ctx:
        assert company_for_host("alpha.localhost") == alpha
    assert len(ctx.captured_queries) == 1  # back to the database: nothing kept here


@pytest.mark.django_db
def test_the_copy_is_bounded(alpha: Company, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "_LOCAL_MAX_HOSTS", 2)
    Domain.objects.bulk_create([Domain(domain=f"a{i}.localhost", tenant=alpha) for i in range(3)])
    for i in range(3):
        company_for_host(f"a{i}.localhost")
    assert len(selectors._local) <= 2


@pytest.mark.django_db
def test_a_domain_renamed_in_this_process_stops_routing_the_old_host_at_once(
    beta: Company, clock: Clock
) -> None:
    # given: the old host is cached in this process and in Redis
    assert company_for_host("beta.localhost") == beta
    assert caches["default"].get(routing_cache_key("beta.localhost")) is not None
    domain = Domain.objects.get(domain="beta.localhost")
    # when
    domain.domain = "beta-new.localhost"
    domain.save()
    # then: dropped here and in Redis, no wait for ROUTING_LOCAL_CACHE_SECONDS
    assert "beta.localhost" not in selectors._local
    assert caches["default"].get(routing_cache_key("beta.localhost")) is None
    assert company_for_host("beta.localhost") is None
    assert company_for_host("beta-new.localhost") == beta
