"""Run project code in another process against the test database (workers, commands), and
the one helper every test uses to start a long-running process (`background_process`).

`background_process` is what makes these tests pass on a busy machine: the process writes to
a log file (a pipe nobody reads fills up at 64 KiB and then blocks the server), readiness is
polled until a deadline and every failed probe while it boots is tolerated (gunicorn accepts
connections before its worker has booted: the probe then times out rather than being
refused), and the log is shown when the start fails or a test fails while it runs
(tests/conftest.py adds it to the failure report).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# Deadlines for a process to become ready and to stop. Generous: on a loaded 2-core machine
# importing Django and the project in a fresh interpreter alone can take tens of seconds.
STARTUP_TIMEOUT = 180.0
STOP_TIMEOUT = 20.0
POLL_INTERVAL = 0.2
# What a readiness probe may raise while the process boots.
BOOTING = (requests.RequestException, OSError)


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


def run_in_django(
    code: str, *, timeout: float = 120, env: dict[str, str] | None = None, **values: object
) -> Any:
    """Run `code` in another process, with Django set up and each of `values` bound to its
    name, so what it writes is committed; returns the JSON it prints last."""
    bindings = "".join(f"{name} = {value!r}\n" for name, value in values.items())
    prelude = "import json, django; django.setup()\n"
    result = run_python(prelude + bindings + dedent(code), timeout, **(env or {}))
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


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


class ProcessFailed(RuntimeError):
    """A background process exited, or was not ready by its deadline."""


@dataclass
class Started:
    """A running background process and the file its output goes to."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, chars: int = 4000) -> str:
        text = self.log()
        return text if len(text) <= chars else "...\n" + text[-chars:]

    def describe(self) -> str:
        return f"{self.name} (pid {self.process.pid}, log {self.log_path})"

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop it now (the log stays readable until the `background_process` block ends)."""
        _RUNNING.pop(self.process.pid, None)
        if self.process.poll() is None:
            stop_process(self.process, timeout=timeout)


_RUNNING: dict[int, Started] = {}


def running() -> list[Started]:
    """The background processes started by `background_process` that are still up."""
    return list(_RUNNING.values())


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float = STARTUP_TIMEOUT,
    started: Started | None = None,
) -> None:
    """Poll `check` until it returns true, up to `timeout` seconds. A check that raises one
    of BOOTING counts as "not yet". Fails at once when `started`'s process has exited."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while True:
        try:
            if check():
                return
        except BOOTING as error:
            last_error = f" (last probe: {type(error).__name__}: {error})"
        if started is not None and started.process.poll() is not None:
            raise ProcessFailed(
                f"{started.describe()} exited with status {started.process.returncode} before "
                f"{what}{last_error}; its output:\n{started.tail()}"
            )
        if time.monotonic() > deadline:
            output = f"; its output:\n{started.tail()}" if started is not None else ""
            raise ProcessFailed(f"not {what} within {timeout:.0f} s{last_error}{output}")
        time.sleep(POLL_INTERVAL)


Probe = Callable[[Started], bool]


def http_ready(
    port: int, path: str = "/health/live", *, host: str | None = None, timeout: float = 5
) -> Probe:
    """Ready when GET http://127.0.0.1:<port><path> answers 200."""

    def probe(started: Started) -> bool:
        headers = {"Host": host} if host else {}
        url = f"http://127.0.0.1:{port}{path}"
        return requests.get(url, headers=headers, timeout=timeout).status_code == 200

    return probe


def port_open(port: int) -> Probe:
    """Ready when something accepts TCP connections on 127.0.0.1:<port>."""

    def probe(started: Started) -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    return probe


def log_contains(text: str) -> Probe:
    """Ready when the process has written `text` (Celery's worker: " ready.")."""
    return lambda started: text in started.log()


@contextlib.contextmanager
def background_process(
    name: str,
    args: Sequence[str],
    *,
    env: dict[str, str],
    ready: Probe | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    stop_timeout: float = STOP_TIMEOUT,
    cwd: Path = ROOT,
    pass_fds: Sequence[int] = (),
) -> Iterator[Started]:
    """Start `args` with its stdout and stderr in a log file; wait until `ready(started)` is
    true (when given); stop it on exit (SIGTERM, then SIGKILL after `stop_timeout`).

    A process that exits or is not ready in time raises ProcessFailed with its output."""
    folder = Path(tempfile.mkdtemp(prefix="crm-test-process-"))
    log_path = folder / f"{name.replace(' ', '-')}.log"
    with log_path.open("wb") as sink:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(pass_fds),
        )
    started = Started(name=name, process=process, log_path=log_path)
    _RUNNING[process.pid] = started
    try:
        if ready is not None:
            wait_until(
                lambda: ready(started), what="ready", timeout=startup_timeout, started=started
            )
        yield started
    finally:
        started.stop(timeout=stop_timeout)
        shutil.rmtree(folder, ignore_errors=True)
