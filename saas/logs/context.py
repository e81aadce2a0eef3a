"""Who and what a log line belongs to, kept in context variables.

The request-id middleware binds the request; Celery signal handlers bind the task. Company
and user are read lazily from the request, so lines written before routing or sign-in carry
what is known at that moment, and reading them never costs a query.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest
from django.utils.functional import empty

request_var: ContextVar[HttpRequest | None] = ContextVar("log_request", default=None)
request_id_var: ContextVar[str | None] = ContextVar("log_request_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("log_task_id", default=None)
task_name_var: ContextVar[str | None] = ContextVar("log_task_name", default=None)
# The user whose request enqueued the running task.
task_user_id_var: ContextVar[int | str | None] = ContextVar("log_task_user_id", default=None)

CONTEXT_FIELDS = ("request_id", "company", "user_id", "task_id", "task_name")


def bind_request(request: HttpRequest, request_id: str) -> tuple[Token[Any], ...]:
    return (request_var.set(request), request_id_var.set(request_id))


def bind_task(
    *, request_id: str | None, user_id: int | str | None, task_id: str, task_name: str
) -> tuple[Token[Any], ...]:
    return (
        request_var.set(None),
        request_id_var.set(request_id),
        task_user_id_var.set(user_id),
        task_id_var.set(task_id),
        task_name_var.set(task_name),
    )


def unbind(tokens: tuple[Token[Any], ...]) -> None:
    for token in reversed(tokens):
        try:
            token.var.reset(token)
        except ValueError:  # created in another context: that context ends with it
            token.var.set(None)


def current() -> dict[str, Any]:
    """The context of the running request or task; None where unknown."""
    request = request_var.get()
    task_id = task_id_var.get()
    if request is not None:
        company, user_id = request_company(request), request_user_id(request)
    elif task_id is not None:
        company, user_id = _connection_company(), task_user_id_var.get()
    else:
        company, user_id = None, None
    return {
        "request_id": request_id_var.get(),
        "company": company,
        "user_id": user_id,
        "task_id": task_id,
        "task_name": task_name_var.get(),
    }


def request_company(request: HttpRequest) -> str | None:
    """The company's subdomain, "public" on the public host, None before routing."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return None
    return str(getattr(tenant, "subdomain", None) or getattr(tenant, "schema_name", "") or "")


def request_user_id(request: HttpRequest) -> int | str | None:
    """The signed-in user's id if it is already known: the user was loaded, or else the
    session was (never a query of its own)."""
    user = request.__dict__.get("user")
    if user is not None:
        wrapped = getattr(user, "_wrapped", user)
        if wrapped is not empty:
            return getattr(wrapped, "pk", None) if wrapped.is_authenticated else None
    session = request.__dict__.get("session")
    cache = getattr(session, "_session_cache", None)
    if isinstance(cache, dict):
        from django.contrib.auth import SESSION_KEY

        value = cache.get(SESSION_KEY)
        return int(value) if isinstance(value, str) and value.isdigit() else value
    return None


def _connection_company() -> str | None:
    # A task runs in the schema tenant-schemas-celery switched to; a dispatcher that loops
    # over companies logs each company's lines under that company.
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    subdomain = getattr(tenant, "subdomain", None)
    return str(subdomain or getattr(connection, "schema_name", "") or "") or None
