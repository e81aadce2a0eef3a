"""tests/processes.py's `background_process`, the one way tests start servers and workers:
it waits for a slow start on a deadline, survives probes that time out while the process
boots, never blocks the process on its own output, and shows that output when it fails."""

from __future__ import annotations

import os
import sys
import textwrap
from types import SimpleNamespace

import pytest
import requests

from tests import conftest
from tests.processes import (
    ProcessFailed,
    background_process,
    http_ready,
    log_contains,
    running,
)
from tests.servers import free_port

# A tiny HTTP server: /health/live answers 200. BEFORE runs first (with `sock` listening).
_SERVER = """
import socket, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Live(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health/live" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

port = int(sys.argv[1])
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(16)
{before}
server = HTTPServer(("127.0.0.1", port), Live, bind_and_activate=False)
server.socket = sock
print("serving", flush=True)
server.serve_forever()
"""


def _server(before: str = "") -> list[str]:
    code = _SERVER.format(before=textwrap.dedent(before))
    return [sys.executable, "-c", code]


def test_a_probe_that_times_out_while_the_server_boots_is_tolerated() -> None:
    # Like gunicorn before its worker has booted: the connection is accepted and the request
    # read, but nothing answers, so the client's probe times out (requests.ReadTimeout).
    # The server only starts answering once it has seen the client give up.
    port = free_port()
    hang_first_request = """
        conn, _ = sock.accept()
        conn.recv(65536)
        print("holding the first request", flush=True)
        while conn.recv(65536):
            pass
        print("the client gave up", flush=True)
        conn.close()
    """
    with background_process(
        "slow boot",
        [*_server(hang_first_request), str(port)],
        env=dict(os.environ),
        ready=http_ready(port, timeout=0.5),
        startup_timeout=60,
    ) as started:
        assert requests.get(f"http://127.0.0.1:{port}/health/live", timeout=10).ok
        assert "the client gave up" in started.log()


def test_output_beyond_a_pipe_buffer_does_not_block_the_process() -> None:
    # 2 MiB before serving: into a pipe nobody reads, the process would block at 64 KiB.
    port = free_port()
    noisy = """
        sys.stdout.write("out " * 262144)
        sys.stdout.flush()
        sys.stderr.write("err " * 262144)
        sys.stderr.flush()
    """
    with background_process(
        "noisy", [*_server(noisy), str(port)], env=dict(os.environ), ready=http_ready(port)
    ) as started:
        assert started.log().count("out ") >= 262144
        assert "err err" in started.log()
        assert "serving" in started.log()


def test_a_process_that_exits_while_booting_fails_at_once_with_its_output() -> None:
    code = "import sys; print('bad setting: DEBUG=ture'); sys.exit(3)"
    expected = r"(?s)exited with status 3 .*bad setting: DEBUG=ture"
    with (
        pytest.raises(ProcessFailed, match=expected) as e,
        background_process(
            "broken",
            [sys.executable, "-c", code],
            env=dict(os.environ),
            ready=http_ready(free_port()),
            startup_timeout=600,  # exiting must not wait for the deadline
        ),
    ):
        pass
    assert "ConnectionError" in str(e.value)  # the last probe is named


def test_a_process_never_ready_fails_at_its_deadline_and_is_stopped() -> None:
    code = "import time; print('starting', flush=True); time.sleep(600)"
    with (
        pytest.raises(ProcessFailed, match=r"(?s)not ready within 2 s.*starting"),
        background_process(
            "stuck",
            [sys.executable, "-c", code],
            env=dict(os.environ),
            ready=log_contains("ready."),
            startup_timeout=2,
        ),
    ):
        pass
    assert running() == []


def test_a_failing_test_report_carries_the_log_of_running_processes() -> None:
    port = free_port()
    with background_process(
        "reported", [*_server(), str(port)], env=dict(os.environ), ready=http_ready(port)
    ) as started:
        report = SimpleNamespace(failed=True, sections=[])
        hook = conftest.pytest_runtest_makereport(None, None)  # type: ignore[arg-type]
        next(hook)
        with pytest.raises(StopIteration):
            hook.send(SimpleNamespace(get_result=lambda: report))
        assert report.sections == [(f"log of {started.describe()}", "serving\n")]
    assert running() == []
