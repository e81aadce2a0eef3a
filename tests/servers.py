"""A real app server process against the test database, for browser and protocol tests."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from tests.processes import background_process, child_env, http_ready


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
    with background_process(
        "runserver",
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        # PORT as `make run` passes it: links in the server's emails point there.
        env=child_env(**{"PORT": str(port), **env}),
        ready=http_ready(port),
        stop_timeout=10,
    ):
        yield AppServer(port=port)
