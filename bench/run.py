"""Benchmark suite entry point: `.venv/bin/python bench/run.py` (what `make bench` runs).

Creates a throw-away database (DATABASE_URL with the name replaced by `crm_bench`), sets
Django up against it, runs `migrate_schemas`, then runs every module in BENCHMARKS in order,
on that same database, and writes bench/results.md and bench/results.json.

Adding a benchmark: write `bench/<name>.py` with

    from bench.common import Context, Result, Target
    TITLE = "What it measures"
    def run(ctx: Context) -> Result: ...

and append "bench.<name>" to BENCHMARKS. Modules run in list order and share the database,
so a later module sees what earlier ones created (e.g. the companies provisioning leaves).

Environment:
    DATABASE_URL        server to use (required by `make bench`; default local crm)
    BENCH_DB_NAME       bench database name (default crm_bench); dropped and recreated
    BENCH_KEEP_DB=1     keep the bench database afterwards
    BENCH_TIME_BUDGET   seconds before a benchmark aborts itself (default 2700)
    BENCH_STRICT=1      exit non-zero when a target fails (errors always exit non-zero)
    BENCH_ONLY          comma-separated module names to run (e.g. "provisioning"); the
                        other modules' results are carried over from the previous
                        results.json, each marked with the date of the run it came from
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

BENCHMARKS: list[str] = [
    "bench.provisioning",
    "bench.crm_pages",
    "bench.lists_http",
    "bench.routing",
]

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm"

from bench.common import Context, Result, Target  # noqa: E402  (needs REPO_ROOT on sys.path)

# --- Database ------------------------------------------------------------------------------


def bench_database_url(source: str, name: str) -> str:
    parts = urlsplit(source)
    return urlunsplit(parts._replace(path="/" + name))


def _admin_conninfo(source: str) -> str:
    """The same server, maintenance database `postgres` (the app database may not exist)."""
    return bench_database_url(source, "postgres")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def recreate_database(source: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_conninfo(source), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {_quote(name)}")


def drop_database(source: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_conninfo(source), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


def close_django_connections() -> None:
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            close_pool()


# --- Machine info and output -----------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info() -> dict[str, Any]:
    from importlib.metadata import version

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "django_tenants": version("django-tenants"),
        "platform": platform.platform(),
        "git_commit": _git_commit(),
    }


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    lines = [
        "| " + " | ".join(_md_cell(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in rows]
    return lines


def write_markdown(
    path: Path, machine: dict[str, Any], results: list[Result], total: float
) -> None:
    lines = ["# Benchmark results", "", "Generated by `bench/run.py`; see bench/README.md.", ""]
    lines += [f"- **{key}**: {value}" for key, value in machine.items()]
    lines += [f"- **total run time**: {total:.1f} s", ""]
    for result in results:
        lines += [f"## {result.title}", "", f"Module `{result.name}`, {result.seconds:.1f} s.", ""]
        if result.error:
            lines += [f"**ERROR**: `{result.error}`", ""]
        if result.rows:
            lines += _md_table(
                result.columns, [[row.get(c, "") for c in result.columns] for row in result.rows]
            )
            lines.append("")
        if result.targets:
            lines += ["Targets:", ""]
            lines += _md_table(
                ["target", "threshold", "measured", "result"],
                [
                    [t.name, t.threshold, t.measured, "PASS" if t.passed else "**FAIL**"]
                    for t in result.targets
                ],
            )
            lines.append("")
        lines += [f"- {note}" for note in result.notes]
        if result.notes:
            lines.append("")
    path.write_text("\n".join(lines))


def carried_over(path: Path, ran: list[str]) -> list[Result]:
    """Results of modules not run this time, from the previous results.json (BENCH_ONLY)."""
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    date = previous.get("machine", {}).get("date", "an earlier run")
    kept = []
    for item in previous.get("benchmarks", []):
        if item.get("name") in ran or item.get("name") not in BENCHMARKS:
            continue
        item["targets"] = [Target(**t) for t in item.get("targets", [])]
        notes = item.get("notes", [])
        if not any(n.startswith("carried over from") for n in notes):  # keep the first date
            notes = [f"carried over from the run of {date} (not rerun this time)", *notes]
        item["notes"] = notes
        kept.append(Result(**item))
    return kept


def write_json(path: Path, machine: dict[str, Any], results: list[Result], total: float) -> None:
    payload = {
        "machine": machine,
        "total_seconds": round(total, 3),
        "benchmarks": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def print_result(result: Result) -> None:
    print(f"\n== {result.title} ({result.seconds:.1f} s)")
    if result.error:
        print(f"   ERROR: {result.error}")
    widths = {
        c: max([len(c)] + [len(str(row.get(c, ""))) for row in result.rows]) for c in result.columns
    }
    if result.rows:
        print("   " + "  ".join(c.ljust(widths[c]) for c in result.columns))
        for row in result.rows:
            print("   " + "  ".join(str(row.get(c, "")).ljust(widths[c]) for c in result.columns))
    for t in result.targets:
        status = "PASS" if t.passed else "FAIL"
        print(f"   [{status}] {t.name}: {t.measured} (target {t.threshold})")
    for note in result.notes:
        print(f"   note: {note}")


# --- Main ----------------------------------------------------------------------------------


def main() -> int:
    started = time.perf_counter()
    source_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    db_name = os.environ.get("BENCH_DB_NAME", "crm_bench")
    if urlsplit(source_url).path.lstrip("/") == db_name:
        print(f"refusing: DATABASE_URL already points at {db_name}", file=sys.stderr)
        return 2
    keep_db = os.environ.get("BENCH_KEEP_DB") == "1"
    budget = float(os.environ.get("BENCH_TIME_BUDGET", "2700"))
    only = {n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()}
    modules = [m for m in BENCHMARKS if not only or m.rsplit(".", 1)[-1] in only]

    ctx = Context(started=started, budget=budget)
    ctx.progress(f"recreating database {db_name}")
    recreate_database(source_url, db_name)

    # Django reads DATABASE_URL at settings import: point it at the bench database first.
    os.environ["DATABASE_URL"] = bench_database_url(source_url, db_name)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "BENCH_SETTINGS_MODULE", "saas.settings.test"
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per audit row otherwise
    results: list[Result] = []
    machine: dict[str, Any] = {}
    django_ready = False
    try:
        import django

        django.setup()
        django_ready = True
        from django.core.management import call_command

        ctx.progress("migrate_schemas --noinput (public + _template)")
        call_command("migrate_schemas", interactive=False, verbosity=0, stdout=io.StringIO())
        machine = machine_info()
        ctx.progress(
            f"PostgreSQL {machine['postgresql']}, {machine['cpu_count']} CPUs; "
            f"running {', '.join(modules)}"
        )
        for module_name in modules:
            module = importlib.import_module(module_name)
            t0 = time.perf_counter()
            ctx.progress(f"--- {module_name}: {module.TITLE}")
            try:
                result = module.run(ctx)
            except Exception as exc:  # record and go on to the next benchmark
                traceback.print_exc()
                result = Result(title=module.TITLE, columns=[], rows=[], error=repr(exc))
            result.name = module_name
            result.seconds = time.perf_counter() - t0
            results.append(result)
            print_result(result)
    finally:
        total = time.perf_counter() - started
        if results or machine:
            if only:
                ran = [r.name for r in results]
                results += carried_over(BENCH_DIR / "results.json", ran)
                results.sort(key=lambda r: BENCHMARKS.index(r.name) if r.name in BENCHMARKS else 99)
            write_markdown(BENCH_DIR / "results.md", machine, results, total)
            write_json(BENCH_DIR / "results.json", machine, results, total)
            ctx.progress("wrote bench/results.md and bench/results.json")
        if django_ready:
            close_django_connections()
        if keep_db:
            ctx.progress(f"keeping database {db_name} (BENCH_KEEP_DB=1)")
        else:
            drop_database(source_url, db_name)
            ctx.progress(f"dropped database {db_name}")

    ctx.progress(f"done in {time.perf_counter() - started:.1f} s")
    if any(r.error for r in results):
        return 1
    if os.environ.get("BENCH_STRICT") == "1" and any(
        not t.passed for r in results for t in r.targets
    ):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
