"""Readiness checks. Each returns None when healthy or a short reason when not.

The reasons name the dependency and the error class only: no host names, credentials or
company data reach an unauthenticated caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from shared_apps.tenants.schema_template import template_rendered, template_status

TIMEOUT_SECONDS = 2.0


def check_database(conn: BaseDatabaseWrapper | None = None) -> str | None:
    conn = conn or connections["default"]
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return None


def check_cache() -> str | None:
    cache = caches["default"]
    key = "health:ready"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        return "cache did not return the value it stored"
    return None


def check_broker(url: str | None = None) -> str | None:
    client = redis.Redis.from_url(
        url or settings.CELERY_BROKER_URL,
        socket_connect_timeout=TIMEOUT_SECONDS,
        socket_timeout=TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return None


def check_template(conn: BaseDatabaseWrapper | None = None) -> str | None:
    conn = conn or connections["default"]
    with conn.cursor() as cursor:
        status = template_status(cursor)
    if status.applied == 0:
        return "template schema missing"
    if status.pending:
        return f"template schema behind by {len(status.pending)} migrations"
    with conn.cursor() as cursor:
        if not template_rendered(cursor, status):
            return "template DDL not rendered (run migrate_schemas)"
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "template": check_template,
}


def run_checks(checks: dict[str, Callable[[], str | None]] | None = None) -> dict[str, dict]:
    results: dict[str, dict] = {}
    for name, check in (checks or CHECKS).items():
        started = time.perf_counter()
        try:
            problem = check()
        except Exception as exc:  # a check reports failure; it never raises to the caller
            problem = f"{type(exc).__name__}"
        results[name] = {
            "ok": problem is None,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if problem is not None:
            results[name]["error"] = problem
    return results
