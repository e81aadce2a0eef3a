"""Celery tasks log with the request id of the request that enqueued them, their task id,
task name and company (connected by saas/celery.py)."""

from __future__ import annotations

from contextvars import Token
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from saas.logs import context

# Message headers; a worker copies unknown headers onto the task's request.
HEADER = "x_request_id"
USER_HEADER = "x_user_id"

_bound: dict[str, tuple[Token[Any], ...]] = {}


def on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    current = context.current()
    if current["request_id"] and HEADER not in headers:
        headers[HEADER] = current["request_id"]
    if current["user_id"] is not None and USER_HEADER not in headers:
        headers[USER_HEADER] = current["user_id"]


def on_prerun(task_id: str, task: Any, **kwargs: Any) -> None:
    request = task.request
    headers = request.headers or {}
    # Run inline (eager, or called from another task) it keeps the caller's context.
    caller = context.current()
    _bound[task_id] = context.bind_task(
        request_id=headers.get(HEADER) or request.get(HEADER) or caller["request_id"],
        user_id=headers.get(USER_HEADER) or request.get(USER_HEADER) or caller["user_id"],
        task_id=task_id,
        task_name=task.name,
    )


def on_postrun(task_id: str, **kwargs: Any) -> None:
    tokens = _bound.pop(task_id, None)
    if tokens is not None:
        context.unbind(tokens)


def keep_django_logging(**kwargs: Any) -> None:
    """A worker keeps the LOGGING setting (JSON lines with context) instead of replacing
    the root logger's handlers with its own format: Celery skips its set-up when this
    signal has a receiver."""


def connect() -> None:
    uid = "saas.logs.task_context"
    setup_logging.connect(keep_django_logging, weak=False, dispatch_uid=f"{uid}.setup")
    before_task_publish.connect(on_publish, weak=False, dispatch_uid=f"{uid}.publish")
    task_prerun.connect(on_prerun, weak=False, dispatch_uid=f"{uid}.prerun")
    task_postrun.connect(on_postrun, weak=False, dispatch_uid=f"{uid}.postrun")
