"""deploy/gunicorn.conf.py: worker sizing from the environment, the JSON access log, and a
real gunicorn serving production settings with that configuration."""

from __future__ import annotations

import json
import runpy
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from tests.deploy.production_env import production_env, production_env_without_db
from tests.processes import ROOT, background_process, http_ready, wait_until
from tests.servers import free_port

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
_KNOBS = (
    "WEB_CONCURRENCY",
    "GUNICORN_MAX_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_BIND",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_PRELOAD",
    "GUNICORN_ACCESS_LOG",
    "FORWARDED_ALLOW_IPS",
    "PORT",
)


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in _KNOBS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


class TestSettings:
    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(monkeypatch)
        assert config["bind"] == ["0.0.0.0:8000"]
        assert config["workers"] == min(2 * config["cpu_count"]() + 1, 8)
        assert (config["threads"], config["worker_class"]) == (1, "sync")
        assert (config["timeout"], config["graceful_timeout"], config["keepalive"]) == (30, 30, 5)
        assert (config["max_requests"], config["max_requests_jitter"]) == (2000, 200)
        assert config["preload_app"] is True
        assert config["forwarded_allow_ips"] == "127.0.0.1,::1"
        assert config["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
        assert config["accesslog"] == "-"
        assert config["control_socket_disable"] is True

    def test_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(
            monkeypatch,
            PORT="9000",
            GUNICORN_MAX_WORKERS="1",
            GUNICORN_THREADS="4",
            GUNICORN_MAX_REQUESTS="100",
            GUNICORN_PRELOAD="false",
            FORWARDED_ALLOW_IPS="10.0.0.5",
            GUNICORN_ACCESS_LOG="off",
        )
        assert config["bind"] == ["0.0.0.0:9000"]
        assert config["workers"] == 1  # capped
        assert (config["threads"], config["worker_class"]) == (4, "gthread")
        assert (config["max_requests"], config["max_requests_jitter"]) == (100, 10)
        assert config["preload_app"] is False
        assert config["forwarded_allow_ips"] == "10.0.0.5"
        assert config["accesslog"] is None

    def test_web_concurrency_wins_over_the_cap(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(monkeypatch, WEB_CONCURRENCY="12", GUNICORN_MAX_WORKERS="2")
        assert config["workers"] == 12

    @pytest.mark.parametrize(
        ("name", "value", "message"),
        [
            ("WEB_CONCURRENCY", "four", "WEB_CONCURRENCY must be a whole number (got 'four')"),
            ("GUNICORN_TIMEOUT", "-5", "GUNICORN_TIMEOUT must not be negative (got -5)"),
            ("GUNICORN_PRELOAD", "yes", "GUNICORN_PRELOAD must be one of true, false, 1 or 0"),
        ],
    )
    def test_bad_values_stop_start_up(
        self, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
    ) -> None:
        with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
            _load(monkeypatch, **{name: value})


def _fields(
    config: dict[str, Any], *, peer: str, request_headers: list[tuple[str, str]], **extra: Any
) -> dict[str, Any]:
    resp = SimpleNamespace(status="200 OK", headers=extra.get("response_headers", []), sent=12)
    req = SimpleNamespace(headers=request_headers)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": extra.get("path", "/deals/"),
        "QUERY_STRING": "token=abc",
        "REMOTE_ADDR": peer,
    }
    fields: dict[str, Any] = config["access_fields"](
        resp, req, environ, timedelta(milliseconds=12.34)
    )
    return fields


class TestAccessFields:
    def test_fields(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(monkeypatch)
        fields = _fields(
            config,
            peer="127.0.0.1",
            request_headers=[("X-FORWARDED-FOR", "203.0.113.9"), ("X-REQUEST-ID", "nginx-id-1")],
        )
        assert fields == {
            "method": "GET",
            "path": "/deals/",  # no query string: it may carry tokens
            "status": 200,
            "duration_ms": 12.3,
            "request_id": "nginx-id-1",
            "remote_addr": "127.0.0.1",
            "client_ip": "203.0.113.9",
            "bytes": 12,
        }

    def test_forwarded_for_from_an_untrusted_peer_is_ignored(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        config = _load(monkeypatch, FORWARDED_ALLOW_IPS="10.0.0.5")
        fields = _fields(
            config, peer="198.51.100.7", request_headers=[("X-FORWARDED-FOR", "203.0.113.9")]
        )
        assert fields["client_ip"] == "198.51.100.7"

    def test_the_last_hop_is_the_client(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # A client-sent X-Forwarded-For that a proxy appended to: only the last hop is real.
        config = _load(monkeypatch)
        fields = _fields(
            config,
            peer="127.0.0.1",
            request_headers=[("X-FORWARDED-FOR", "6.6.6.6, 203.0.113.9")],
        )
        assert fields["client_ip"] == "203.0.113.9"

    def test_the_apps_request_id_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(monkeypatch)
        fields = _fields(
            config,
            peer="127.0.0.1",
            request_headers=[("X-REQUEST-ID", "bad id\n")],
            response_headers=[("X-Request-ID", "0123456789abcdef")],
        )
        assert fields["request_id"] == "0123456789abcdef"

    def test_credentials_in_the_path_are_redacted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        config = _load(monkeypatch)
        fields = _fields(config, peer="127.0.0.1", request_headers=[], path="/invite/s3cr3t/")
        assert fields["path"] == "/invite/[REDACTED]/"


def _access_lines(path: Path) -> list[dict[str, Any]]:
    text = path.read_text() if path.exists() else ""
    # Complete lines only: the last may be half-written while gunicorn runs.
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


@pytest.mark.slow
@pytest.mark.django_db  # the test database must exist: gunicorn serves from it
def test_gunicorn_serves_production_settings_with_json_access_lines(tmp_path: Path) -> None:
    port = free_port()
    access_log = tmp_path / "access.log"
    env = production_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_ACCESS_LOG=str(access_log),
        FORWARDED_ALLOW_IPS="127.0.0.1",
    )
    with background_process(
        "gunicorn (production settings)",
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "saas.wsgi"],
        env=env,
        ready=http_ready(port),
        stop_timeout=15,
    ) as gunicorn:
        # A page of the public host rendered through the whole middleware stack (a 404: pages
        # with static files need collectstatic's manifest, which deploy/check builds).
        public = requests.get(
            f"http://127.0.0.1:{port}/no-such-page/",
            headers={
                "Host": "crm.example.com",
                "X-Request-ID": "deploy-test-0001",
                "X-Forwarded-For": "203.0.113.9",
                "X-Forwarded-Proto": "https",
            },
            allow_redirects=False,
            timeout=30,
        )
        unknown = requests.get(
            f"http://127.0.0.1:{port}/", headers={"Host": "evil.example.net"}, timeout=30
        )
        # Access lines are written after the response has gone out.
        wait_until(
            lambda: {"/no-such-page/", "/"} <= {line["path"] for line in _access_lines(access_log)},
            what="both access lines written",
            timeout=30,
            started=gunicorn,
        )
        gunicorn.stop(timeout=15)
        stderr = gunicorn.log()

    assert public.status_code == 404, public.text[:500]
    assert public.headers["X-Request-ID"] == "deploy-test-0001"
    assert unknown.status_code in (400, 404)
    lines = _access_lines(access_log)
    by_id = {line.get("request_id"): line for line in lines}
    line = by_id["deploy-test-0001"]
    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/no-such-page/", 404)
    assert (line["remote_addr"], line["client_ip"]) == ("127.0.0.1", "203.0.113.9")
    assert line["duration_ms"] >= 0
    assert line["time"].endswith("Z")
    assert any(other["status"] == unknown.status_code for other in lines if other is not line)
    # Health probes are not access-logged at INFO.
    assert not [other for other in lines if other["path"].startswith("/health")]
    # gunicorn's own messages are JSON lines too.
    gunicorn_lines = [json.loads(text) for text in stderr.splitlines() if text.startswith("{")]
    assert any(entry["message"].startswith("Booting worker") for entry in gunicorn_lines)


def _healthcheck_command() -> list[str]:
    """The image's HEALTHCHECK command, from the Dockerfile."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK "))
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    return command


@pytest.mark.slow
def test_socket_activation_and_the_image_healthcheck() -> None:
    """Under systemd (crm-web.socket) gunicorn serves the socket it is handed (fd 3,
    LISTEN_FDS), not GUNICORN_BIND; the Dockerfile's HEALTHCHECK passes against it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    env = production_env_without_db(
        GUNICORN_BIND=f"127.0.0.1:{free_port()}", WEB_CONCURRENCY="1", PYTHONPATH=str(ROOT)
    )
    script = (
        f"exec 3<&{listener.fileno()}; "
        f'exec env LISTEN_PID=$$ LISTEN_FDS=1 "$0" -m gunicorn -c "$1" saas.wsgi'
    )
    with background_process(
        "gunicorn (socket activation)",
        ["bash", "-c", script, sys.executable, str(CONFIG)],
        env=env,
        pass_fds=(listener.fileno(),),
        ready=http_ready(port),
        stop_timeout=15,
    ):
        listener.close()  # gunicorn holds its own copy
        check = subprocess.run(
            _healthcheck_command(),
            env={**env, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        failing = subprocess.run(
            _healthcheck_command(),
            env={**env, "PORT": str(free_port())},
            capture_output=True,
            timeout=30,
            check=False,
        )
        assert failing.returncode != 0  # nothing listening there: unhealthy
