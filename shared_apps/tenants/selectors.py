"""Reads about companies, including the cached host -> company lookup used by routing."""

from __future__ import annotations

import contextlib
import logging

from django.core.cache import caches
from django.db import transaction

from shared_apps.tenants.models import Company, Domain

logger = logging.getLogger(__name__)

ROUTING_CACHE_SECONDS = 300
_MISSING = "-"


def routing_cache_key(host: str) -> str:
    # A global key (the "default" alias is not tenant-prefixed): routing runs before any
    # company is selected.
    return f"routing:host:{host}"


def routing_forget(hosts: list[str]) -> None:
    """Drop cached lookups for `hosts`, now and again after commit (so no request re-caches
    the old answer in between)."""

    def forget() -> None:
        try:
            caches["default"].delete_many([routing_cache_key(h) for h in hosts])
        except Exception:  # the cache being down must not fail the write
            logger.warning("could not drop routing cache entries", exc_info=True)

    forget()
    transaction.on_commit(forget)


def company_for_host(host: str) -> Company | None:
    """The company served on `host`, or None. Cached; invalidated by signals on change."""
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
