"""A local stand-in for Sentry's ingest endpoint: records the envelopes POSTed to
/api/<project>/envelope/ (real HTTP, on loopback)."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeSentry:
    def __init__(self) -> None:
        self.bodies: list[str] = []  # every envelope, decompressed, as text
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                owner.paths.append(self.path)
                owner.bodies.append(raw.decode())
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    @property
    def text(self) -> str:
        return "\n".join(self.bodies)

    def items(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of the envelope items of one type ("event", "transaction")."""
        found = []
        for body in self.bodies:
            lines = body.split("\n")
            # header line, then (item header, payload) pairs
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if header and json.loads(header).get("type") == kind:
                    found.append(json.loads(payload))
        return found

    def events(self) -> list[dict[str, Any]]:
        return self.items("event")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
