"""The nginx site (deploy/nginx/crm.conf) running for real, on local ports, in front of an
echo server standing in for gunicorn: redirects, unknown hosts, forwarded headers set by
nginx (never by the client), request ids, header and body limits, static caching, HTTP/2."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.processes import ROOT, background_process, port_open
from tests.servers import free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else "")
DOMAIN = "crm.example.test"
HASHED_CSS = "app.0123456789ab.css"

# CI installs nginx (.ci/run): there a missing nginx fails instead of skipping.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not NGINX and os.environ.get("CI") != "true", reason="nginx is not installed"
    ),
]


class _Echo(BaseHTTPRequestHandler):
    """Answers with the request's headers as JSON (and the request id, as the app does)."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-ID", self.headers.get("X-Request-ID", ""))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Site:
    http_port: int
    https_port: int
    static: Path


@contextlib.contextmanager
def _nginx(tmp: Path) -> Iterator[Site]:
    echo = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    (tmp / "logs").mkdir()
    static = tmp / "static"
    (static / "css").mkdir(parents=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN},DNS:*.{DOMAIN}",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = subprocess.run(
        ["bash", str(ROOT / "deploy" / "nginx" / "render")],
        env={
            **os.environ,
            "BASE_DOMAIN": DOMAIN,
            "TLS_CERTIFICATE": str(tmp / "cert.pem"),
            "TLS_CERTIFICATE_KEY": str(tmp / "key.pem"),
            "UPSTREAM": f"127.0.0.1:{echo.server_address[1]}",
            "STATIC_ROOT": str(static),
        },
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = []
    for line in site.splitlines():
        if "listen [::]" in line:
            continue  # IPv4 loopback only in the test
        line = line.replace("listen 80", f"listen 127.0.0.1:{http_port}")
        line = line.replace("listen 443", f"listen 127.0.0.1:{https_port}")
        lines.append(line.replace("/var/log/nginx/", f"{tmp}/logs/"))
    (tmp / "crm.conf").write_text("\n".join(lines))
    # As root, nginx's workers would run as nobody, who cannot read pytest's temporary files.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (tmp / "nginx.conf").write_text(
        f"{user}pid {tmp}/nginx.pid;\nerror_log {tmp}/logs/error.log;\nevents {{}}\n"
        f"http {{\n include /etc/nginx/mime.types;\n client_body_temp_path {tmp}/body;\n"
        f" proxy_temp_path {tmp}/proxy;\n fastcgi_temp_path {tmp}/f;\n uwsgi_temp_path {tmp}/u;\n"
        f" scgi_temp_path {tmp}/s;\n include {tmp}/crm.conf;\n}}\n"
    )
    try:
        with background_process(
            "nginx",
            [NGINX, "-p", str(tmp), "-e", f"{tmp}/logs/error.log", "-c", str(tmp / "nginx.conf"),
             "-g", "daemon off;"],
            env=dict(os.environ),
            ready=port_open(https_port),
            stop_timeout=5,
        ):  # fmt: skip
            yield Site(http_port=http_port, https_port=https_port, static=static)
    finally:
        echo.shutdown()
        echo.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with _nginx(tmp_path_factory.mktemp("nginx")) as running:
        yield running


def _tls(site: Site, sni: str, alpn: list[str] | None = None) -> ssl.SSLSocket:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if alpn:
        context.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", site.https_port), timeout=10)
    return context.wrap_socket(raw, server_hostname=sni)


def _https(
    site: Site,
    host: str,
    path: str = "/",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> http.client.HTTPResponse:
    sock = _tls(site, host)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.body = response.read()  # type: ignore[attr-defined]
    sock.close()
    return response


def _echoed(response: http.client.HTTPResponse) -> dict[str, str]:
    assert response.status == 200, response.body  # type: ignore[attr-defined]
    headers: dict[str, str] = json.loads(response.body)  # type: ignore[attr-defined]
    return headers


def test_http_redirects_to_https(site: Site) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=5)
    connection.request("GET", "/deals/?page=2", headers={"Host": f"acme.{DOMAIN}"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://acme.{DOMAIN}/deals/?page=2"


def test_unknown_host_gets_no_answer(site: Site) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", site.http_port, timeout=5)
    connection.request("GET", "/", headers={"Host": "evil.example.net"})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()  # 444: the connection is closed without a response


def test_unknown_tls_name_is_refused_at_the_handshake(site: Site) -> None:
    with pytest.raises(ssl.SSLError):
        _tls(site, "evil.example.net")


def test_spoofed_forwarded_headers_are_replaced(site: Site) -> None:
    response = _https(
        site,
        f"acme.{DOMAIN}",
        headers={
            "X-Forwarded-For": "6.6.6.6",
            "X-Forwarded-Host": "evil.example.net",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Ssl": "on",
            "Forwarded": "for=6.6.6.6;proto=https",
            "X-Request-ID": "forged-id-0001",
        },
    )
    seen = _echoed(response)
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-real-ip"] == "127.0.0.1"
    assert seen["x-forwarded-host"] == f"acme.{DOMAIN}"
    assert seen["host"] == f"acme.{DOMAIN}"
    assert seen["x-forwarded-proto"] == "https"
    assert "x-forwarded-ssl" not in seen
    assert "forwarded" not in seen
    request_id = seen["x-request-id"]
    assert request_id != "forged-id-0001"
    assert len(request_id) == 32
    assert int(request_id, 16) >= 0
    assert response.getheader("X-Request-ID") == request_id
    assert len(response.headers.get_all("X-Request-ID") or []) == 1


def test_public_host_and_a_stripe_webhook_post_reach_the_app(site: Site) -> None:
    seen = _echoed(_https(site, DOMAIN, "/stripe/webhook/abc/", method="POST", body=b"{}"))
    assert seen["content-length"] == "2"


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "a=" + "x" * 10_000},  # one line above 8 KB
        {f"X-Pad-{n}": "y" * 7_000 for n in range(6)},  # more than 4 buffers of 8 KB
    ],
    ids=["one-long-line", "too-many-long-lines"],
)
def test_oversized_header_is_refused(site: Site, headers: dict[str, str]) -> None:
    response = _https(site, DOMAIN, headers=headers)
    assert response.status == 431
    assert response.body == b"Request header fields too large.\n"  # type: ignore[attr-defined]
    assert response.getheader("X-Request-ID")


def test_oversized_body_is_refused_before_upload(site: Site) -> None:
    response = _https(
        site, DOMAIN, "/import/", method="POST", headers={"Content-Length": str(11 * 1024 * 1024)}
    )
    assert response.status == 413
    assert response.getheader("X-Request-ID")


def test_hashed_static_files_are_cached_for_a_year(site: Site) -> None:
    (site.static / "css" / HASHED_CSS).write_text("body { color: #111; }\n" * 100)
    (site.static / "css" / "app.css").write_text("body { color: #111; }\n")
    hashed = _https(site, f"acme.{DOMAIN}", f"/static/css/{HASHED_CSS}",
                    headers={"Accept-Encoding": "gzip"})  # fmt: skip
    assert hashed.status == 200
    assert hashed.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert hashed.getheader("Content-Encoding") == "gzip"
    assert hashed.getheader("X-Content-Type-Options") == "nosniff"
    assert "max-age=31536000" in (hashed.getheader("Strict-Transport-Security") or "")
    plain = _https(site, DOMAIN, "/static/css/app.css")
    assert plain.getheader("Cache-Control") == "public, max-age=300"
    # Not on disk: WhiteNoise in the app gets the request.
    assert _echoed(_https(site, DOMAIN, "/static/css/other.css"))


def test_http2_is_offered(site: Site) -> None:
    sock = _tls(site, DOMAIN, alpn=["h2", "http/1.1"])
    try:
        assert sock.selected_alpn_protocol() == "h2"
    finally:
        sock.close()
