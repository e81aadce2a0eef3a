"""The 413 for an oversized body on the servers the project runs: the development server
(`manage.py runserver`, on wsgiref) and gunicorn with threaded workers (keep-alive), each a
real process spoken to over a socket. nginx refuses such bodies itself (tests/deploy/
test_nginx.py).

The attack (red-team report): a 30 MB multipart body, or a `Content-Length: 10000000000`
header, answered 500 on the development server: the 413 carried `Connection: close`, a
hop-by-hop header that wsgiref refuses from an application.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.deploy.production_env import production_env
from tests.processes import background_process, http_ready
from tests.servers import AppServer, app_server, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

MB = 1024 * 1024
DEADLINE = 60.0  # seconds for one exchange on a busy machine


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    closed_by_server: bool  # the server closed the connection after the answer


def _read_answer(sock: socket.socket, close_wait: float) -> Answer:
    sock.settimeout(DEADLINE)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before an answer: {data[:500]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))  # a chunked answer: its head is enough
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    # Does the server close the connection within `close_wait` seconds?
    sock.settimeout(close_wait)
    try:
        closed = sock.recv(1) == b""
    except TimeoutError:
        closed = False
    except ConnectionResetError:
        closed = True
    return Answer(status, headers, body[:length], closed)


def _post(
    port: int,
    *,
    host: str,
    length: int,
    body: int = 0,
    content_type: str = "multipart/form-data; boundary=xyz",
    extra: str = "",
    close_wait: float = 1,
) -> Answer:
    """POST /accounts/login/ declaring `length` bytes and sending `body` of them (from a
    thread, as a client that keeps sending while the answer comes)."""
    head = (
        f"POST /accounts/login/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nAccept-Language: en\r\n{extra}\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(head)
        sender = None
        if body:

            def send() -> None:
                chunk = b"x" * MB
                try:
                    for _ in range(body // MB):
                        sock.sendall(chunk)
                except OSError:
                    pass  # the server may stop reading once it has answered

            sender = threading.Thread(target=send, daemon=True)
            sender.start()
        answer = _read_answer(sock, close_wait)
        if sender is not None:
            sender.join(timeout=DEADLINE)
    return answer


def _assert_refused(answer: Answer) -> None:
    assert answer.status == 413, answer
    assert "content-length" in answer.headers  # the answer says where it ends
    assert b"Too large" in answer.body
    assert answer.headers.get("cache-control") == "no-store"


# --- the development server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def runserver(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest
) -> Iterator[AppServer]:
    with django_db_blocker.unblock(), app_server() as server:  # type: ignore[attr-defined]
        yield server


def test_runserver_refuses_a_huge_declared_length_with_413(runserver: AppServer) -> None:
    answer = _post(runserver.port, host="localhost", length=10_000_000_000)
    _assert_refused(answer)


def test_runserver_refuses_a_30_mb_multipart_body_with_413(runserver: AppServer) -> None:
    answer = _post(runserver.port, host="alpha.localhost", length=30 * MB, body=30 * MB)
    _assert_refused(answer)


def test_runserver_refuses_a_large_form_with_413_and_stays_up(runserver: AppServer) -> None:
    answer = _post(
        runserver.port,
        host="localhost",
        length=6 * MB,
        body=6 * MB,
        content_type="application/x-www-form-urlencoded",
    )
    _assert_refused(answer)
    live = _post(runserver.port, host="localhost", length=0, content_type="text/plain")
    assert live.status in (200, 400, 403)  # answered, not a 500


# --- gunicorn (production settings, threaded workers that keep connections alive) ------------


@pytest.fixture(scope="module")
def gunicorn(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[int]:
    port = free_port()
    env = production_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",  # gthread: keep-alive, the worker that would drain a body
        GUNICORN_ACCESS_LOG="off",
        FORWARDED_ALLOW_IPS="127.0.0.1",
    )
    with (
        django_db_blocker.unblock(),  # type: ignore[attr-defined]
        background_process(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "saas.wsgi"],
            env=env,
            ready=http_ready(port),
        ),
    ):
        yield port


HTTPS = "X-Forwarded-Proto: https\r\n"


def test_gunicorn_refuses_a_huge_declared_length_and_closes_the_connection(
    gunicorn: int,
) -> None:
    started = time.monotonic()
    answer = _post(
        gunicorn, host="crm.example.com", length=10_000_000_000, extra=HTTPS, close_wait=30
    )
    _assert_refused(answer)
    # the worker gives up on the unread body (it drains at most 64 KiB, for at most 5 s)
    # and closes, rather than keep a thread waiting for 10 GB before the next request
    assert answer.closed_by_server
    assert time.monotonic() - started < DEADLINE


def test_gunicorn_keeps_serving_after_a_refusal(gunicorn: int) -> None:
    for _ in range(3):  # more refusals than the worker has threads
        _assert_refused(_post(gunicorn, host="crm.example.com", length=10_000_000_000, extra=HTTPS))
    live = _post(gunicorn, host="crm.example.com", length=0, content_type="text/plain")
    assert live.status != 500
