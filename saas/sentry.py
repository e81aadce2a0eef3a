"""Error reports to Sentry, enabled by SENTRY_DSN (production settings; development only
when the variable is set).

Nothing personal or secret is sent: default PII is off, request bodies and frame variables
are never sent, cookies and credential headers are dropped, and before_send redacts every
string of the event with the log scrubber (saas/logs/scrub.py). Each event is tagged with
the company (subdomain, or "public"), the user id and the request id of the request or
task it came from (saas/logs/context.py).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import ignore_logger
from sentry_sdk.integrations.redis import RedisIntegration

from saas.env import env
from saas.logs import context
from saas.logs.scrub import REDACTED, is_secret_name, scrub_path, scrub_text, scrub_value

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint

# Where a deploy may put the commit it runs when SENTRY_RELEASE is not set.
_RELEASE_VARIABLES = ("SENTRY_RELEASE", "GIT_SHA", "GIT_COMMIT", "SOURCE_VERSION")
_TAGS = ("company", "user_id", "request_id", "task_name")


def sentry_init(*, default_environment: str, default_traces_sample_rate: float) -> bool:
    """Start the Sentry client if SENTRY_DSN is set; True if it was started."""
    dsn = env.str("SENTRY_DSN", default="")
    if not dsn:
        return False
    rate = env.float("SENTRY_TRACES_SAMPLE_RATE", default=default_traces_sample_rate)
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
        environment=env.str("SENTRY_ENVIRONMENT", default=default_environment),
        release=release() or None,
        # send_default_pii stays at its default, off (no user e-mail, IP, cookies): setting
        # it at all is deprecated since sentry-sdk 2.7x, and data_collection, its successor,
        # is unknown to older 2.x releases.
        max_request_body_size="never",
        # Frame variables would carry e-mail addresses and CRM records (a User's repr is
        # its e-mail): the traceback and tags are enough to find the failing request.
        include_local_variables=False,
        traces_sample_rate=min(max(rate, 0.0), 1.0),
        before_send=before_send,
        before_send_transaction=before_send,
    )
    # The request log line of a 500 would be a second event beside the exception's.
    ignore_logger("saas.request")
    return True


def release() -> str:
    for name in _RELEASE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


def before_send(event: Event, hint: Hint) -> Event:
    """Tag the event with the request or task context, then redact it."""
    tags = event.setdefault("tags", {})
    for name, value in context.current().items():
        if name in _TAGS and value is not None:
            tags.setdefault(name, str(value))
    _scrub_request(event)
    clean: Event = scrub_value(dict(event))
    return clean


def _scrub_request(event: Event) -> None:
    request = event.get("request")
    if not isinstance(request, dict):
        return
    if request.get("data"):
        request["data"] = REDACTED
    request.pop("cookies", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {
            name: REDACTED if is_secret_name(name) else scrub_text(str(value))
            for name, value in headers.items()
        }
    query, url = request.get("query_string"), request.get("url")
    if isinstance(query, str):
        request["query_string"] = scrub_text(query)
    if isinstance(url, str):
        request["url"] = scrub_path(url)
    env_vars = request.get("env")
    if isinstance(env_vars, dict):
        request["env"] = {k: v for k, v in env_vars.items() if k in ("SERVER_NAME", "SERVER_PORT")}
