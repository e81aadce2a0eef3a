"""A real app server process against the test database, for browser and protocol tests."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import requests

from tests.processes import ROOT, child_env, stop_process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class AppServer:
    port: int

    def url(self, host: str = "localhost", path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


@contextlib.contextmanager
def app_server(**env: str) -> Iterator[AppServer]:
    """`manage.py runserver` in a child process (test settings, the test database, `env`
    on top), ready when /health/live answers. Stopped on exit."""
    port = free_port()
    # The server's log goes to a file: a pipe nobody reads fills up (64 KiB) and then blocks
    # the server in the middle of a request.
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            # PORT as `make run` passes it: links in the server's emails point there.
            env=child_env(**{"PORT": str(port), **env}),
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/health/live", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"app server did not start: {log.read()[-2000:]}")
                time.sleep(0.2)
            yield AppServer(port=port)
        finally:
            stop_process(process, timeout=10)
