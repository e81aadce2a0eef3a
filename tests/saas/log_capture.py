"""Capture what the stderr log handler would print: the same filters and formatter
(saas/logs/config.py) on a handler of the root logger, writing to a buffer."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from saas.logs.filters import ContextFilter, SecretFilter
from saas.logs.formatters import ConsoleFormatter, JsonFormatter


class CapturedLogs:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self, logger: str | None = None) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in self.text.splitlines() if line.strip()]
        return [line for line in parsed if logger is None or line["logger"] == logger]


@contextmanager
def captured_logs(fmt: str = "json", level: int = logging.DEBUG) -> Iterator[CapturedLogs]:
    captured = CapturedLogs()
    handler = logging.StreamHandler(captured.stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(SecretFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    root = logging.getLogger()
    names = ("saas", "security", "shared_apps", "tenant_apps", "celery", "django")
    old_levels = {name: logging.getLogger(name).level for name in names}
    old_root = root.level
    root.addHandler(handler)
    root.setLevel(level)
    for name in names:
        logging.getLogger(name).setLevel(level if name != "django" else logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        for name, old in old_levels.items():
            logging.getLogger(name).setLevel(old)
