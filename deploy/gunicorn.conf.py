"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py saas.wsgi`.

Every knob comes from the environment (defaults in brackets); docs/deploy.md explains them.

    GUNICORN_BIND            [0.0.0.0:$PORT, PORT 8000] (ignored under systemd socket activation)
    WEB_CONCURRENCY          worker processes [2 x CPUs + 1, at most GUNICORN_MAX_WORKERS]
    GUNICORN_MAX_WORKERS     cap of the computed worker count [8]
    GUNICORN_THREADS         threads per worker [1: sync workers; more: gthread]
    GUNICORN_TIMEOUT         seconds a request may take before its worker is killed [30]
    GUNICORN_GRACEFUL_TIMEOUT  seconds in-flight requests get on a restart [30]
    GUNICORN_KEEPALIVE       seconds an idle keep-alive connection is kept (gthread) [5]
    GUNICORN_MAX_REQUESTS    requests before a worker is replaced [2000] (0: never)
    GUNICORN_MAX_REQUESTS_JITTER  random extra requests, so workers do not restart together
                             [10% of GUNICORN_MAX_REQUESTS]
    GUNICORN_PRELOAD         load the app once in the master before forking [true]
    FORWARDED_ALLOW_IPS      the proxy's addresses or networks, trusted for X-Forwarded-*
                             [127.0.0.1,::1]
    GUNICORN_ACCESS_LOG      "-" (stdout) or a file; "off" disables it [-]
    GUNICORN_LOG_LEVEL       gunicorn's own log level [info]
    GUNICORN_CONTROL_SOCKET  path of gunicorn's control socket (gunicorn 24+) [none: off]

The access log is one JSON object per line, in the same shape as the app's own log lines
(saas/logs): time, level, logger, message, method, path, status, duration_ms, request_id,
remote_addr, client_ip, bytes.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number (got {raw!r}).") from None
    if value < 0:
        raise SystemExit(f"{name} must not be negative (got {value}).")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise SystemExit(f"{name} must be one of true, false, 1 or 0 (got {raw!r}).")


def cpu_count() -> int:
    """CPUs this process may use: its affinity mask, lowered by a cgroup v2 CPU quota
    (`docker run --cpus=2` on a 16-core host means 2, not 16)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as quota_file:
            quota, period = quota_file.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def worker_count() -> int:
    """WEB_CONCURRENCY when set, else 2 x CPUs + 1 (gunicorn's advice for sync workers),
    capped by GUNICORN_MAX_WORKERS: each worker holds its own database connections."""
    explicit = _env_int("WEB_CONCURRENCY", 0)
    if explicit:
        return explicit
    return max(1, min(2 * cpu_count() + 1, _env_int("GUNICORN_MAX_WORKERS", 8)))


# --- Sockets and processes ------------------------------------------------------------------
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or '8000'}"]
workers = worker_count()
threads = max(1, _env_int("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
proc_name = "crm-web"
# gunicorn 24+ opens a control socket under $HOME by default: instances of one user would
# share it, and a hardened unit has no writable home. Off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# The heartbeat file on a RAM disk: on a container's overlay file system a slow fsync can
# make the master think a healthy worker hangs.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# --- Timeouts -------------------------------------------------------------------------------
# A worker silent for `timeout` seconds is killed (and its request answered 502 by nginx):
# above nginx's proxy_read_timeout would be pointless, far below it cuts real work short.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# --- Bounded lifetime ------------------------------------------------------------------------
# Workers are replaced after a number of requests, with jitter so they do not all restart at
# once. That bounds memory growth and, with it, the per-connection catalog caches PostgreSQL
# keeps for every company schema a connection touched (the pool also recycles connections
# after DB_CONN_MAX_LIFETIME seconds).
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", max_requests // 10)

# --- Preloading and gc.freeze ------------------------------------------------------------------
# The master imports saas.wsgi once; saas/wsgi.py ends with gc.freeze(), so everything loaded
# by then (~200,000 objects) sits in the permanent generation before the fork. The collector
# never writes to those objects' headers again, so their memory pages stay shared between
# the workers (copy-on-write) and full collections in a worker skip them. A worker replaced
# after max_requests is a cheap fork of that master. Code changes need a restart, not a HUP
# (a HUP re-forks the preloaded code): see docs/deploy.md.
preload_app = _env_bool("GUNICORN_PRELOAD", True)


def pre_fork(server: Any, worker: Any) -> None:
    """Close whatever database connection or pool the preloaded app opened in the master:
    a forked child must never share a socket (or a pool whose threads did not survive the
    fork) with its parent or its siblings. Children open their own pools on first use."""
    if not preload_app:
        return
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        close_pool = getattr(conn, "close_pool", None)
        if close_pool is not None:
            close_pool()


# --- Proxy --------------------------------------------------------------------------------------
# X-Forwarded-* headers are honoured only from these addresses: the proxy, never clients.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1"
# Only X-Forwarded-Proto decides the scheme; nginx sets it and drops X-Forwarded-Ssl and
# X-Forwarded-Protocol, which a client could otherwise send through untouched.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# Header limits a little above nginx's large_client_header_buffers (4 x 8k), so nginx is the
# one that refuses oversized requests; a request that bypasses nginx still meets a limit.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190


# --- Logs ---------------------------------------------------------------------------------------
_PROBE_PATHS = ("/health/live", "/health/ready")


def _header(headers: Any, name: str) -> str:
    for key, value in headers or ():
        if key.upper() == name:
            return str(value)
    return ""


def _trusted(peer: str, allowed: str) -> bool:
    """Is `peer` one of FORWARDED_ALLOW_IPS (addresses or networks such as 172.16.0.0/12)?"""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in (part.strip() for part in allowed.split(",")):
        if entry == "*":
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _scrub(path: str) -> str:
    try:
        from saas.logs.scrub import scrub_path
    except ImportError:  # pragma: no cover - the app is always importable here
        return path
    return scrub_path(path)


def access_fields(resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict:
    """The access log line's fields. The path is logged without its query string (which may
    carry tokens) and with credential segments redacted, as in the app's request log."""
    status = resp.status
    if isinstance(status, str):
        status = status.split(None, 1)[0]
    peer = str(environ.get("REMOTE_ADDR") or "-")
    client = peer
    forwarded_for = _header(getattr(req, "headers", None), "X-FORWARDED-FOR")
    if forwarded_for and _trusted(peer, forwarded_allow_ips):
        # nginx replaces the header with the address it saw: the last hop is the client.
        client = forwarded_for.split(",")[-1].strip() or peer
    # The id the app answered with (it may have replaced a malformed one), else the proxy's.
    request_id = _header(getattr(resp, "headers", None), "X-REQUEST-ID") or _header(
        getattr(req, "headers", None), "X-REQUEST-ID"
    )
    return {
        "method": environ.get("REQUEST_METHOD", ""),
        "path": _scrub(str(environ.get("PATH_INFO", ""))),
        "status": int(status) if str(status).isdigit() else status,
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "request_id": request_id or None,
        "remote_addr": peer,
        "client_ip": client,
        "bytes": getattr(resp, "sent", None),
    }


class JsonAccessLogger(Logger):
    """gunicorn's logger with JSON lines for the access log and its own messages."""

    def setup(self, cfg: Any) -> None:
        # The app's JSON line shape (saas/logs): time, level, logger, message, then fields.
        from saas.logs.formatters import JsonFormatter

        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not getattr(self, "access_log_enabled", True):  # the property is gunicorn 24+
            return
        try:
            fields = access_fields(resp, req, environ, request_time)
            level = logging.INFO
            if fields["path"].rstrip("/") in _PROBE_PATHS and fields["status"] == 200:
                level = logging.DEBUG  # load balancer and container probes, every few seconds
            message = f"{fields['method']} {fields['path']} {fields['status']}"
            self.access_log.log(level, message, extra=fields)
        except Exception:
            self.exception("access log line failed")


logger_class = JsonAccessLogger
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log.lower() == "off" else _access_log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
