"""Run project code in another process against the test database (workers, commands)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    if host.startswith("/"):
        raise NotImplementedError(
            "Tests that start other processes need PostgreSQL over TCP (DATABASE_URL with a "
            "host name); the embedded server of `make test` listens on 127.0.0.1."
        )
    port = db.get("PORT") or ""
    user = db.get("USER") or "postgres"
    password = db.get("PASSWORD") or ""
    auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    netloc = quote(host, safe="") + (f":{port}" if port else "")
    return f"postgres://{auth}@{netloc}/{db['NAME']}"


def child_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "saas.settings.test",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(overrides)
    return env


def run_python(code: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_manage(
    *args: str, timeout: float = 60, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


def stop_process(process: subprocess.Popen[Any], timeout: float = 20) -> None:
    """Ask a child process to stop; kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
