"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, for email tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from django.test import override_settings

from tests.processes import STARTUP_TIMEOUT
from tests.servers import free_port


@dataclass
class Inbox:
    """What the server received: parsed messages and their envelope recipients."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(message_from_bytes(raw, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    port: int
    inbox: Inbox
    controller: Controller | None = None

    def start(self) -> None:
        # aiosmtpd's own default (5 s) for its thread to come up is short on a busy machine.
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=STARTUP_TIMEOUT
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextlib.contextmanager
def smtp_server(*, start: bool = True) -> Iterator[SMTPServer]:
    """Django's SMTP backend pointed at a fresh server (started unless `start=False`, so a
    test can show what happens while nothing listens, then call `.start()`)."""
    server = SMTPServer(port=free_port(), inbox=Inbox())
    if start:
        server.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=server.port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=5,
        ):
            yield server
    finally:
        server.stop()
