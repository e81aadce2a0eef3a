"""Log filters, attached to the output handler (so pytest's caplog handler is unaffected
by the context fields, but sees redacted records)."""

from __future__ import annotations

import logging

from saas.logs import context
from saas.logs.scrub import REDACTED, is_secret_name, scrub_text, scrub_value

# Attributes every LogRecord has; anything else was passed through `extra=`.
STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


class ContextFilter(logging.Filter):
    """Adds request_id, company, user_id, task_id and task_name to every record (a field
    passed explicitly with `extra=` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context.current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class SecretFilter(logging.Filter):
    """Redacts secrets from the message, the exception text and extra fields, in place:
    every handler after this one sees the redacted record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler's error path
            return True
        clean = scrub_text(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name in STANDARD_ATTRS or name in context.CONTEXT_FIELDS:
                continue
            if is_secret_name(name) and value not in (None, ""):
                setattr(record, name, REDACTED)
            elif isinstance(value, str | dict | list | tuple):
                setattr(record, name, scrub_value(value))
        return True
