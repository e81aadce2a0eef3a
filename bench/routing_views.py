"""Views and middleware of the routing benchmark (bench/routing.py, bench/routing_settings.py).

`/bench/one/` reads one organization row by primary key (one query); `/bench/ten/` reads ten,
one query each. Both answer a few bytes of plain text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COUNT_HEADER = "HTTP_X_BENCH_COUNT"
STATEMENTS_HEADER = "X-Bench-Statements"


def _name(pk: int) -> str:
    from tenant_apps.crm.models import Organization

    return str(Organization.objects.filter(pk=pk).values_list("name", flat=True).get())


def _ids() -> list[int]:
    return list(getattr(settings, "BENCH_ROUTING_ORGANIZATION_IDS", []))


def one(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_name(_ids()[0]) + "\n")


def ten(request: HttpRequest) -> HttpResponse:
    names = [_name(pk) for pk in _ids()[:10]]
    return HttpResponse(f"{len(names)} {names[-1]}\n")


@contextmanager
def _counting(sql: list[str], redis: list[str]) -> Iterator[None]:
    """Every statement psycopg sends (django-tenants' SET search_path runs on the raw cursor,
    below Django's execute wrappers) and every Redis command, for one request."""
    import psycopg
    from redis.client import Redis

    execute = psycopg.Cursor.execute
    command = Redis.execute_command

    def counted_execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sql.append(query if isinstance(query, str) else repr(query))
        return execute(self, query, *args, **kwargs)

    def counted_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        redis.append(str(args[0]) if args else "")
        return command(self, *args, **kwargs)

    psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
    Redis.execute_command = counted_command  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        Redis.execute_command = command  # type: ignore[method-assign]


class BenchCountMiddleware:
    """First in MIDDLEWARE in every variant. A request with `X-Bench-Count: 1` gets back the
    SQL statements and Redis commands it caused, as JSON in X-Bench-Statements. Sync
    gunicorn workers serve one request at a time, so patching the classes is safe here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if COUNT_HEADER not in request.META:
            return self.get_response(request)
        sql: list[str] = []
        redis: list[str] = []
        with _counting(sql, redis):
            response = self.get_response(request)
            # The connection goes back to the pool when the response is closed (after this
            # middleware returns): nothing runs then in any variant (autocommit, no reset).
        response[STATEMENTS_HEADER] = json.dumps({"sql": sql, "redis": redis})
        return response


class FixedTenantMiddleware:
    """The plain-Django variant's stand-in for routing: what a single-company app knows
    without asking the database. `request.tenant` is a Company built once from settings (the
    billing check after sign-in reads it); the schema is fixed by the connection options."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from shared_apps.tenants.models import Company

        self.get_response = get_response
        self.company = Company(**getattr(settings, "BENCH_ROUTING_COMPANY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = self.company  # type: ignore[attr-defined]
        return self.get_response(request)
