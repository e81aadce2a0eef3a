"""Reads about companies, including the cached host -> company lookup used by routing."""

from __future__ import annotations

import contextlib
import copy
import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from shared_apps.tenants.models import Company, Domain

logger = logging.getLogger(__name__)

ROUTING_CACHE_SECONDS = 300
_MISSING = "-"
# In front of Redis, each process keeps the companies it served for a few seconds
# (ROUTING_LOCAL_CACHE_SECONDS, default 5; 0 turns it off): a warm request then costs no
# Redis round trip either. Only found companies are kept, never misses, so a new company is
# served at once everywhere. A change (domain renamed or removed: old and new host alike;
# company disabled) is dropped at once in the process that made it and in Redis; other
# processes stop serving the old answer within ROUTING_LOCAL_CACHE_SECONDS.
_LOCAL_MAX_HOSTS = 10_000
_local: dict[str, tuple[float, Company]] = {}


def _now() -> float:
    return time.monotonic()


def routing_local_clear() -> None:
    """Forget every host this process keeps (tests; a process that must see a change now)."""
    _local.clear()


def routing_cache_key(host: str) -> str:
    # A global key (the "default" alias is not tenant-prefixed): routing runs before any
    # company is selected.
    return f"routing:host:{host}"


def routing_forget(hosts: list[str]) -> None:
    """Drop cached lookups for `hosts`, now and again after commit (so no request re-caches
    the old answer in between)."""

    def forget() -> None:
        for host in hosts:
            _local.pop(host, None)
        try:
            caches["default"].delete_many([routing_cache_key(h) for h in hosts])
        except Exception:  # the cache being down must not fail the write
            logger.warning("could not drop routing cache entries", exc_info=True)

    forget()
    transaction.on_commit(forget)


def company_for_host(host: str) -> Company | None:
    """The company served on `host`, or None. Cached; invalidated by signals on change.

    Each call returns its own copy: the caller may set attributes on it (routing sets
    `domain_url`) without touching what the next request gets."""
    kept = _local.get(host)
    if kept is not None and kept[0] > _now():
        return copy.copy(kept[1])
    company = _company_for_host_shared(host)
    seconds = settings.ROUTING_LOCAL_CACHE_SECONDS
    if company is not None and seconds > 0:
        if len(_local) >= _LOCAL_MAX_HOSTS:
            _local.clear()
        _local[host] = (_now() + seconds, copy.copy(company))
    return company


def _company_for_host_shared(host: str) -> Company | None:
    cache = caches["default"]
    key = routing_cache_key(host)
    try:
        cached = cache.get(key)
    except Exception:  # the cache being down must not take the site down
        cached = None
    if cached == _MISSING:
        return None
    if isinstance(cached, Company):
        return cached
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    company = domain.tenant if domain is not None else None
    with contextlib.suppress(Exception):
        cache.set(key, company if company is not None else _MISSING, ROUTING_CACHE_SECONDS)
    return company


def company_get_by_subdomain(subdomain: str) -> Company | None:
    return Company.objects.filter(subdomain=subdomain).first()


def subdomain_is_available(subdomain: str) -> bool:
    return not Company.objects.filter(subdomain=subdomain).exists()
