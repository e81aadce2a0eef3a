"""The HTTP side: a ThreadingHTTPServer on 127.0.0.1 speaking Stripe's v1 REST protocol.

Per request: Bearer (or Basic) auth with a test key, form-encoded parameters, the route's
accepted parameters checked, `Idempotency-Key` replayed for POSTs, `expand[]` applied, and
Stripe's error JSON on failure. A failed request leaves no trace in the state (except a card
error, which, as at Stripe, records the failed attempt).
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Importing the domain modules registers their routes.
from tests.stripe_fake import (  # noqa: F401
    changes,
    checkout,
    customers,
    forms,
    invoices,
    pages,
    portal_webhooks,
    preview,
    products,
    routing,
    subscriptions,
)
from tests.stripe_fake.errors import StripeFakeError
from tests.stripe_fake.store import RequestContext, Store, new_id

UNAVAILABLE = "The Stripe API is temporarily unavailable (the fake Stripe server was set down)."


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 0
    request_id: str = ""

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def stripe_version(self) -> str | None:
        return self.headers.get("stripe-version")


@dataclass
class Outage:
    status: int = 503
    retryable: bool = False
    mode: str = "error"  # "error": JSON api_error; "disconnect": close without answering


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def api_key_of(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode().split(":", 1)[0] or None
        except ValueError:
            return None
    return None


def _json(status: int, payload: Any, request_id: str, **headers: str) -> _Answer:
    return _Answer(
        status, json.dumps(payload, indent=2).encode(), {"Request-Id": request_id, **headers}
    )


class ApiServer:
    """The server and its request handling; `FakeStripe` adds the scenario controls."""

    def __init__(self) -> None:
        self.store = Store()
        self.requests: list[RecordedRequest] = []
        self.errors: list[str] = []  # tracebacks of bugs in the fake itself
        self.outage: Outage | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the fake Stripe server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # no Nagle: headers and body go out without a 40 ms ACK wait
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api._serve(self)

            do_POST = do_DELETE = do_GET

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.store.base_url = self.url
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # --- one request ------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        if parts.path.startswith("/v1/"):
            answer = self._api(
                handler.command, parts.path, parts.query, body, dict(handler.headers)
            )
            if answer is None:  # an outage in "disconnect" mode
                handler.close_connection = True
                return
        else:
            with self.store.lock:
                self.store.context = RequestContext()
                try:
                    status, headers, content = pages.respond(
                        self.store, handler.command, parts.path, dict(parse_qsl(body))
                    )
                except Exception:
                    self.errors.append(f"{handler.command} {parts.path}\n{traceback.format_exc()}")
                    status, headers, content = 500, {"Content-Type": "text/plain"}, b"fake bug"
            answer = _Answer(status, content, headers)
        handler.send_response(answer.status)
        answer.headers.setdefault("Content-Type", "application/json")
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def _api(
        self, method: str, path: str, query: str, body: str, headers: dict[str, str]
    ) -> _Answer | None:
        request_id = new_id("req", 14)
        lowered = {k.lower(): v for k, v in headers.items()}
        record = RecordedRequest(method, path, {}, lowered, request_id=request_id)
        self.requests.append(record)
        answer = self._answer(method, path, query, body, lowered, request_id, record)
        if answer is not None:
            record.status = answer.status
            answer.headers.setdefault(
                "Stripe-Version", lowered.get("stripe-version") or self.store.api_version
            )
        return answer

    def _answer(
        self,
        method: str,
        path: str,
        query: str,
        body: str,
        headers: dict[str, str],
        request_id: str,
        record: RecordedRequest,
    ) -> _Answer | None:
        outage = self.outage
        if outage is not None:
            if outage.mode == "disconnect":
                return None
            error = StripeFakeError(outage.status, UNAVAILABLE, type="api_error")
            retry = "true" if outage.retryable else "false"
            return _json(
                outage.status, error.body(request_id), request_id, **{"Stripe-Should-Retry": retry}
            )
        key = api_key_of(headers.get("authorization", ""))
        if not key:
            message = (
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                "or we can help at https://support.stripe.com/."
            )
            return _json(
                401, {"error": {"message": message, "type": "invalid_request_error"}}, request_id
            )
        if not key.startswith(("sk_test_", "rk_test_")):
            message = f"Invalid API Key provided: {key[:8]}{'*' * 8}{key[-4:]}"
            return _json(
                401,
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "code": "api_key_invalid",
                    }
                },
                request_id,
            )
        try:
            params = forms.parse(body if method == "POST" else query)
        except StripeFakeError as exc:
            return _json(exc.status, exc.body(request_id), request_id)
        record.params = params
        found = routing.match(method, path)
        if found is None:
            message = (
                f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                "or we can help at https://support.stripe.com/."
            )
            return _json(
                404, {"error": {"message": message, "type": "invalid_request_error"}}, request_id
            )
        route, args = found
        idempotency_key = headers.get("idempotency-key") if method == "POST" else None
        fingerprint = f"{method} {path} {json.dumps(params, sort_keys=True)}"
        with self.store.lock:
            if idempotency_key and idempotency_key in self.store.idempotency:
                seen, status, content = self.store.idempotency[idempotency_key]
                if seen != fingerprint:
                    error = StripeFakeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with. Try using a key other than "
                        f"'{idempotency_key}' if you meant to execute a different request.",
                        type="idempotency_error",
                    )
                    return _json(400, error.body(request_id), request_id)
                return _Answer(
                    status,
                    content,
                    {
                        "Request-Id": request_id,
                        "Idempotent-Replayed": "true",
                        "Idempotency-Key": idempotency_key,
                    },
                )
            answer = self._call(route, args, method, path, params, request_id, idempotency_key)
            if idempotency_key:
                answer.headers["Idempotency-Key"] = idempotency_key
                if answer.status < 400 or answer.status == 402:
                    self.store.idempotency[idempotency_key] = (
                        fingerprint,
                        answer.status,
                        answer.body,
                    )
            return answer

    def _call(
        self,
        route: routing.Route,
        args: dict[str, str],
        method: str,
        path: str,
        params: dict[str, Any],
        request_id: str,
        idempotency_key: str | None,
    ) -> _Answer:
        store = self.store
        saved = (
            (
                copy.deepcopy(store.objects),
                dict(store._order),
                list(store.event_ids),
                copy.deepcopy(store.outcomes),
                dict(store.failing),
            )
            if method != "GET"
            else None
        )
        store.context = RequestContext(request_id, idempotency_key)
        try:
            route.check(params)
            request = routing.Req(method, path, params, args, request_id, idempotency_key)
            result = route.handler(store, request)
            result = store.expand(result, store.expand_paths(params))
            return _json(200, result, request_id)
        except StripeFakeError as exc:
            if saved is not None and exc.status != 402:
                store.objects, store._order, store.event_ids, store.outcomes, store.failing = saved
            return _json(exc.status, exc.body(request_id), request_id)
        except Exception as exc:
            self.errors.append(f"{method} {path} {params}\n{traceback.format_exc()}")
            if saved is not None:
                store.objects, store._order, store.event_ids, store.outcomes, store.failing = saved
            error = StripeFakeError(500, f"fake Stripe bug: {exc!r}", type="api_error")
            return _json(
                500, error.body(request_id), request_id, **{"Stripe-Should-Retry": "false"}
            )
        finally:
            store.context = RequestContext()
