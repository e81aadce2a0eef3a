"""Company provisioning: our template-DDL replay vs django-tenants' default, and at 500 companies.

1. one warm-up `company_provision` (loads the template DDL that `migrate_schemas` rendered, and
   the migration graph; its time is reported separately and not counted);
2. 20 x `company_provision` (our path), timed one by one;
3. 20 x django-tenants' default: Company + Domain rows, then
   `create_schema(check_if_exists=True, sync_schema=True)` = CREATE SCHEMA + every migration;
4. fill up to 500 companies with our path (untimed), then 20 more timed with our path.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

from bench.common import Context, Result, Target, fmt_s, median, p95

TITLE = "Company provisioning (ours vs django-tenants default, and at 500 companies)"

SAMPLES = 20
SCALE_COMPANIES = 500

TARGET_MEDIAN = 0.5
TARGET_P95 = 1.0
TARGET_RATIO = 30.0
TARGET_GROWTH_PCT = 50.0


def _provision_ours(subdomain: str) -> float:
    from shared_apps.tenants.services import company_provision

    t0 = time.perf_counter()
    company_provision(
        name=f"Bench {subdomain}", subdomain=subdomain, owner_email=f"owner@{subdomain}.bench.test"
    )
    return time.perf_counter() - t0


def _provision_default(subdomain: str) -> float:
    """What TenantMixin.save() does when auto_create_schema is True (ours sets it False)."""
    from shared_apps.tenants.models import Company, Domain
    from shared_apps.tenants.services import company_host
    from shared_apps.tenants.validators import schema_name_for

    t0 = time.perf_counter()
    company = Company(
        name=f"Bench {subdomain}",
        subdomain=subdomain,
        schema_name=schema_name_for(subdomain),
        billing_email=f"owner@{subdomain}.bench.test",
    )
    company.save()
    Domain.objects.create(domain=company_host(subdomain), tenant=company, is_primary=True)
    with stock_django_tenants():
        company.create_schema(check_if_exists=True, sync_schema=True, verbosity=0)
    return time.perf_counter() - t0


@contextlib.contextmanager
def stock_django_tenants() -> Iterator[None]:
    """django-tenants as shipped: its own migrate_schemas and Django's own migrate.

    The project overrides both (the template schema; skipping public-only migrations in
    company schemas), so create_schema() would otherwise measure our code, not the default.
    """
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

    def call_stock(name: str, *args: Any, **kwargs: Any) -> Any:
        assert name == "migrate_schemas", name
        return call_command(MigrateSchemasCommand(), *args, **kwargs)

    with (
        override_settings(
            TENANT_BASE_MIGRATE_COMMAND="django.core.management.commands.migrate.Command"
        ),
        mock.patch("django_tenants.models.call_command", call_stock),
    ):
        yield


def _timed_series(ctx: Context, label: str, prefix: str, func: Any) -> list[float]:
    times: list[float] = []
    for i in range(1, SAMPLES + 1):
        ctx.check_deadline()
        times.append(func(f"{prefix}-{i:03d}"))
        if i % 5 == 0:
            ctx.progress(f"{label}: {i}/{SAMPLES}, median so far {median(times):.3f} s")
    return times


def _company_count() -> int:
    from shared_apps.tenants.models import Company

    return Company.objects.count()


def _schema_signature(schema: str) -> dict[str, Any]:
    """Columns, constraints, indexes and data row counts of a schema, schema name stripped."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, data_type, is_nullable, is_identity,
                   coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = %s
            ORDER BY 1, 2""",
            [schema],
        )
        columns = cursor.fetchall()
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = %s::regnamespace ORDER BY 2""",
            [schema],
        )
        constraints = [
            tuple(str(v).replace(f"{schema}.", "") for v in row) for row in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1",
            [schema],
        )
        indexes = [(n, d.replace(f"{schema}.", "")) for n, d in cursor.fetchall()]
        tables = sorted({row[0] for row in columns})
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
            counts[table] = cursor.fetchone()[0]
    return {"columns": columns, "constraints": constraints, "indexes": indexes, "rows": counts}


def _parity_note(ours: str, theirs: str) -> str:
    a, b = _schema_signature(ours), _schema_signature(theirs)
    diffs = [key for key in a if a[key] != b[key]]
    if not diffs:
        return (
            f"schema parity: `{ours}` (ours) and `{theirs}` (migrations) have identical "
            f"columns, constraints, indexes and row counts ({len(a['rows'])} tables)"
        )
    details = []
    for key in diffs:
        if key == "rows":
            details.append(f"rows ours={a['rows']} migrations={b['rows']}")
        else:
            only_a = set(map(tuple, a[key])) - set(map(tuple, b[key]))
            only_b = set(map(tuple, b[key])) - set(map(tuple, a[key]))
            details.append(
                f"{key}: only ours={sorted(only_a)[:5]} only migrations={sorted(only_b)[:5]}"
            )
    return f"schema parity MISMATCH between `{ours}` and `{theirs}`: " + "; ".join(details)


def _row(label: str, before: int, times: list[float]) -> dict[str, Any]:
    return {
        "path": label,
        "companies before": before,
        "n": len(times),
        "median": fmt_s(median(times)),
        "p95": fmt_s(p95(times)),
        "min": fmt_s(min(times)),
        "max": fmt_s(max(times)),
    }


def run(ctx: Context) -> Result:
    from shared_apps.tenants.models import SchemaTemplateState

    # 1. Warm-up: the first call loads the template DDL (rendered by migrate_schemas) and the
    # migration graph.
    assert SchemaTemplateState.objects.exists()
    first_call = _provision_ours("bench-warmup")
    ctx.progress(f"warm-up (loads template DDL): {first_call:.3f} s")

    # 2. Our path.
    before_ours = _company_count()
    ours = _timed_series(ctx, "ours", "bench-ours", _provision_ours)

    # 3. django-tenants' default path.
    before_default = _company_count()
    default = _timed_series(ctx, "django-tenants default", "bench-default", _provision_default)

    parity = _parity_note("bench_ours_001", "bench_default_001")
    ctx.progress(parity)

    # 5. Scale up to SCALE_COMPANIES companies (our path, untimed), then time SAMPLES more.
    existing = _company_count()
    to_fill = max(0, SCALE_COMPANIES - existing)
    ctx.progress(f"filling {to_fill} companies to reach {SCALE_COMPANIES}")
    fill_started = time.perf_counter()
    for i in range(1, to_fill + 1):
        ctx.check_deadline()
        _provision_ours(f"bench-fill-{i:04d}")
        if i % 50 == 0 or i == to_fill:
            rate = i / (time.perf_counter() - fill_started)
            ctx.progress(
                f"fill: {i}/{to_fill} ({rate:.1f} companies/s, eta {(to_fill - i) / rate:.0f} s)"
            )
    fill_seconds = time.perf_counter() - fill_started
    before_scaled = _company_count()
    scaled = _timed_series(ctx, f"ours at {before_scaled}", "bench-scale", _provision_ours)

    # 4./6. Summary and targets.
    ours_median, default_median, scaled_median = median(ours), median(default), median(scaled)
    ratio = default_median / ours_median
    growth = (scaled_median / ours_median - 1) * 100
    rows = [
        {
            "path": "ours: first call (renders DDL, not counted)",
            "companies before": 0,
            "n": 1,
            "median": fmt_s(first_call),
            "p95": "",
            "min": "",
            "max": "",
        },
        _row("ours: company_provision", before_ours, ours),
        _row("django-tenants default: create_schema + migrations", before_default, default),
        _row(f"ours at {SCALE_COMPANIES} companies", before_scaled, scaled),
        {"path": "ratio default / ours (median)", "median": f"{ratio:.1f}x"},
        {
            "path": f"median growth at {before_scaled} vs {before_ours} companies",
            "median": f"{growth:+.1f}%",
        },
    ]
    targets = [
        Target(
            "ours median",
            f"<= {fmt_s(TARGET_MEDIAN)}",
            fmt_s(ours_median),
            ours_median <= TARGET_MEDIAN,
        ),
        Target("ours p95", f"<= {fmt_s(TARGET_P95)}", fmt_s(p95(ours)), p95(ours) <= TARGET_P95),
        Target(
            "ratio default / ours (median)",
            f">= {TARGET_RATIO:.0f}x",
            f"{ratio:.1f}x",
            ratio >= TARGET_RATIO,
        ),
        Target(
            f"median growth at {SCALE_COMPANIES} companies",
            f"<= {TARGET_GROWTH_PCT:.0f}%",
            f"{growth:+.1f}%",
            growth <= TARGET_GROWTH_PCT,
        ),
    ]
    notes = [
        parity,
        f"filled {to_fill} companies with our path in {fill_seconds:.1f} s "
        f"({fill_seconds / max(to_fill, 1):.3f} s each, untimed individually)",
        "ours = Company + Domain rows, CREATE SCHEMA + template DDL/data replay, owner user, "
        "membership and 3 audit rows, one transaction; default = Company + Domain rows, "
        "CREATE SCHEMA and `migrate` in it (no owner, no audit rows)",
        "p95 is nearest-rank (19th of 20 samples); wall clock via time.perf_counter",
    ]
    return Result(
        title=TITLE,
        columns=["path", "companies before", "n", "median", "p95", "min", "max"],
        rows=rows,
        targets=targets,
        notes=notes,
        raw={
            "first_call_s": first_call,
            "ours_s": ours,
            "default_s": default,
            "scaled_s": scaled,
            "companies_before": {
                "ours": before_ours,
                "default": before_default,
                "scaled": before_scaled,
            },
            "fill_count": to_fill,
            "fill_seconds": fill_seconds,
            "ratio": ratio,
            "growth_pct": growth,
        },
    )
