"""Structured logs: JSON lines (or readable console lines in development) that carry the
request id, company and user of the request or Celery task they were written in, with
secrets redacted. `logging_config()` builds the LOGGING setting."""

from saas.logs.config import logging_config

__all__ = ["logging_config"]
