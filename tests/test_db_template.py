"""The template database the test database is copied from (tests/db_template.py).

Real databases on the test server, named `tpl_pytest_<random>_...` and dropped afterwards;
each "build" here creates one small table instead of migrating.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.backends.utils import CursorWrapper

from shared_apps.tenants import schema_template
from tests import db_template


@pytest.fixture
def server(django_db_blocker: pytest.FixtureRequest) -> Iterator[CursorWrapper]:
    with django_db_blocker.unblock(), db_template.server_cursor() as cursor:  # type: ignore[attr-defined]
        yield cursor


@pytest.fixture
def prefix(server: CursorWrapper) -> Iterator[str]:
    prefix = f"tpl_pytest_{secrets.token_hex(4)}_"
    yield prefix
    server.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix])
    for (name,) in server.fetchall():
        db_template._drop(server, name)


def dsn(database: str) -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        dbname=database,
        host=params.get("host") or "",
        port=str(params.get("port") or ""),
        user=params.get("user") or "",
        password=params.get("password") or "",
    )


def table_build(calls: list[str]) -> Callable[[str], None]:
    def build(database: str) -> None:
        calls.append(database)
        with psycopg.connect(dsn(database), autocommit=True) as conn:
            conn.execute("CREATE TABLE built (marker text); INSERT INTO built VALUES ('yes')")

    return build


def marker(database: str) -> str:
    with psycopg.connect(dsn(database)) as conn:
        row = conn.execute("SELECT marker FROM built").fetchone()
        assert row is not None
        return str(row[0])


def test_built_once_then_copied(server: CursorWrapper, prefix: str) -> None:
    calls: list[str] = []
    template = f"{prefix}a"

    built = db_template.database_from_template(
        server, template=template, target=f"{prefix}t1", build=table_build(calls)
    )
    again = db_template.database_from_template(
        server, template=template, target=f"{prefix}t2", build=table_build(calls)
    )

    assert (built, again) == (True, False)
    assert calls == [f"{template}_build"]  # built under another name, then renamed
    assert marker(f"{prefix}t1") == marker(f"{prefix}t2") == "yes"
    server.execute(
        "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = %s", [template]
    )
    assert server.fetchone() == (True, False)


def test_rebuild_replaces_the_template(server: CursorWrapper, prefix: str) -> None:
    calls: list[str] = []
    template = f"{prefix}a"
    db_template.database_from_template(
        server, template=template, target=f"{prefix}t", build=table_build(calls)
    )

    db_template.database_from_template(
        server, template=template, target=f"{prefix}t", build=table_build(calls), rebuild=True
    )

    assert len(calls) == 2
    assert marker(f"{prefix}t") == "yes"


def test_failed_build_leaves_no_template(server: CursorWrapper, prefix: str) -> None:
    def broken(database: str) -> None:
        raise RuntimeError("migration failed")

    with pytest.raises(RuntimeError, match="migration failed"):
        db_template.database_from_template(
            server, template=f"{prefix}a", target=f"{prefix}t", build=broken
        )

    server.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [prefix])
    assert server.fetchall() == []


def test_two_runs_build_it_once(django_db_blocker: pytest.FixtureRequest, prefix: str) -> None:
    """The second run waits for the first one's build and copies the result."""
    calls: list[str] = []
    template = f"{prefix}a"
    results: dict[str, bool | BaseException] = {}

    def build_once_the_other_run_waits(database: str) -> None:
        # Build only once the other run is waiting for the lock (or after 30 s, when the
        # lock is broken and it is building too: then the assertions below fail).
        lock = (db_template.LOCK_NAMESPACE, db_template._lock_id(template))
        asking = "SELECT pg_try_advisory_lock({}, {})".format(*lock)
        deadline = time.monotonic() + 30
        with db_template.server_cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE query = %s", [asking])
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.05)
        table_build(calls)(database)

    def run(target: str) -> None:
        try:
            with django_db_blocker.unblock(), db_template.server_cursor() as cursor:  # type: ignore[attr-defined]
                results[target] = db_template.database_from_template(
                    cursor, template=template, target=target, build=build_once_the_other_run_waits
                )
        except BaseException as exc:
            results[target] = exc

    threads = [threading.Thread(target=run, args=(f"{prefix}t{i}",)) for i in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results.values(), key=str) == [False, True]
    assert len(calls) == 1
    assert marker(f"{prefix}t1") == marker(f"{prefix}t2") == "yes"


def test_copy_ends_a_connection_left_on_the_template(server: CursorWrapper, prefix: str) -> None:
    source = f"{prefix}src"
    server.execute(f'CREATE DATABASE "{source}"')
    table_build([])(source)
    with psycopg.connect(dsn(source)) as idle:
        db_template._copy(server, template=source, target=f"{prefix}t")

        assert marker(f"{prefix}t") == "yes"
        with pytest.raises(psycopg.OperationalError):
            idle.execute("SELECT 1")


def test_prune_keeps_the_last_used(server: CursorWrapper, prefix: str) -> None:
    for name in ("a", "b", "c"):  # c used last, then b
        db_template.database_from_template(
            server, template=f"{prefix}{name}", target=f"{prefix}t", build=table_build([])
        )
    db_template.database_from_template(
        server, template=f"{prefix}b", target=f"{prefix}t", build=table_build([])
    )

    dropped = db_template.templates_prune(server, prefix, keep=2)

    assert dropped == [f"{prefix}a"]
    assert [t.name for t in db_template.templates(server, prefix)] == [f"{prefix}b", f"{prefix}c"]


def test_prune_skips_a_template_another_run_holds(server: CursorWrapper, prefix: str) -> None:
    for name in ("a", "b", "c"):
        db_template.database_from_template(
            server, template=f"{prefix}{name}", target=f"{prefix}t", build=table_build([])
        )
    with (
        db_template.server_cursor() as other,
        db_template._advisory_lock(other, f"{prefix}a", timeout=5),
    ):
        assert db_template.templates_prune(server, prefix, keep=2) == []

    assert db_template.templates_prune(server, prefix, keep=2) == [f"{prefix}a"]


def test_key_follows_every_migration_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = list(db_template._migration_dirs())
    assert {"tenants", "crm", "djstripe", "auth"} <= {label for label, _folder in installed}
    real = db_template.template_key()
    assert db_template.template_key() == real
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    monkeypatch.setattr(db_template, "_migration_dirs", lambda: [*installed, ("demo", migrations)])

    (migrations / "0001_initial.py").write_text("operations = []\n")
    added = db_template.template_key()
    (migrations / "0001_initial.py").write_text("operations = []  # edited\n")
    edited = db_template.template_key()

    assert len({real, added, edited}) == 3


def test_key_follows_the_renderer_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = db_template.template_key()

    monkeypatch.setattr(schema_template, "RENDERER_VERSION", 7, raising=False)
    with_version = db_template.template_key()
    monkeypatch.setattr(schema_template, "RENDERER_VERSION", 8, raising=False)

    assert len({before, with_version, db_template.template_key()}) == 3
