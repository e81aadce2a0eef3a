"""Output formats: one JSON object per line (production), readable lines (development)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from saas.logs.context import CONTEXT_FIELDS
from saas.logs.filters import STANDARD_ATTRS

# Extra fields that are not data: Django's request log passes the request object.
_SKIPPED_EXTRAS = frozenset({"request", "server_time"})


def _iso_utc(created: float) -> str:
    moment = datetime.fromtimestamp(created, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


class JsonFormatter(logging.Formatter):
    """time (ISO 8601, UTC), level, logger, message, the context fields that are known,
    the extra fields, and `exception` (the traceback text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso_utc(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        for name, value in record.__dict__.items():
            if name in STANDARD_ATTRS or name in CONTEXT_FIELDS or name in _SKIPPED_EXTRAS:
                continue
            if name.startswith("_") or name in line:
                continue
            line[name] = _jsonable(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
            if record.exc_info and record.exc_info[0] is not None:
                line["exception_type"] = record.exc_info[0].__name__
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """`13:01:02 INFO saas.request [req=ab12cd34 alpha user=7] GET / 200 12.3ms`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s", "%H:%M:%S")

    def formatMessage(self, record: logging.LogRecord) -> str:
        parts = []
        request_id = getattr(record, "request_id", None)
        if request_id:
            parts.append(f"req={str(request_id)[:8]}")
        company = getattr(record, "company", None)
        if company:
            parts.append(str(company))
        user_id = getattr(record, "user_id", None)
        if user_id is not None:
            parts.append(f"user={user_id}")
        task_name = getattr(record, "task_name", None)
        if task_name:
            parts.append(f"task={task_name}")
        values = {**record.__dict__, "context": f" [{' '.join(parts)}]" if parts else ""}
        return self._fmt % values if self._fmt else record.getMessage()
