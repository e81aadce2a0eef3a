"""Tenant routing: requests/s of a one-query and a ten-query view, over real gunicorn processes.

Three gunicorn processes, each `deploy/gunicorn.conf.py` with production settings (the test
values of tests/deploy/production_env.py) on the bench database, differing only in routing
(bench/routing_settings.py):

- **ours**: CompanyRoutingMiddleware (host -> company kept 5 s per process, then Redis), and our
  backend: TENANT_LIMIT_SET_CALLS, no SET when the pooled connection already has the path;
- **default**: django-tenants' TenantMainMiddleware (a Domain query per request), SET
  search_path before every cursor (TENANT_LIMIT_SET_CALLS = False, django-tenants' default);
- **plain**: Django's own PostgreSQL backend, no routing, search_path fixed at connect time.

1. provision one company, add ten organizations to it;
2. start the three servers (WORKERS sync workers each, access log off), wait until they answer;
3. warm every server and view up (WARMUP_SECONDS of load, not counted), then ask each for the
   SQL statements and Redis commands one request causes (header X-Bench-Count) and check
   that the view's own queries are 1 and 10;
4. ROUNDS rounds; in each, every view is loaded for SLICE_SECONDS on each server in turn
   (the order rotates every round), CONCURRENCY client threads, one connection per request;
5. report per server and view the median requests/s over rounds, the median over rounds of
   its ratio to plain Django's requests/s in the same round (the servers measured seconds
   apart, so load from outside hits both alike), the gunicorn processes' CPU time per
   request, p50/p95 latency over all measured requests, and errors (any non-200 fails).

Target (issue 6): ours >= 85% of plain Django's requests/s on the one-query view.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import Context, Result, Target, median

TITLE = "Tenant routing: requests/s over gunicorn (ours vs django-tenants default vs plain Django)"

SUBDOMAIN = "bench-routing"
ORGANIZATIONS = 10
VARIANTS = ("ours", "default", "plain")
LABELS = {"ours": "ours", "default": "django-tenants default", "plain": "plain Django"}
VIEWS = {"one": ("/bench/one/", 1), "ten": ("/bench/ten/", 10)}
WORKERS = 2
CONCURRENCY = 6
WARMUP_SECONDS = 4.0
ROUNDS = 15
SLICE_SECONDS = 2.0
COUNT_SAMPLES = 4
START_TIMEOUT = 90.0
TARGET_RATIO = 0.85

REPO_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"

# Variables of the calling environment that would change what the servers run.
_DROPPED_PREFIXES = ("GUNICORN_", "DB_POOL_", "DB_CONN_", "BENCH_ROUTING_")
_DROPPED = (
    "ALLOWED_HOSTS",
    "SENTRY_DSN",
    "EMAIL_BACKEND",
    "SECRET_KEY_FALLBACKS",
    "CACHE_URL",
    "WEB_CONCURRENCY",
    "PORT",
    "SAAS_PROCESS_ROLE",
    "WEB_STATEMENT_TIMEOUT_MS",
    "FORWARDED_ALLOW_IPS",
)


# --- The company and its rows ------------------------------------------------------------------


def _setup() -> tuple[dict[str, Any], list[int], str]:
    """Provision the bench company and its organizations: (company fields, ids, host)."""
    from django_tenants.utils import schema_context

    from shared_apps.tenants.services import company_host, company_provision
    from tenant_apps.crm.models import Organization

    company = company_provision(
        name="Bench routing", subdomain=SUBDOMAIN, owner_email=f"owner@{SUBDOMAIN}.bench.test"
    )
    with schema_context(company.schema_name):
        ids = [
            Organization.objects.create(name=f"Routing organization {i}").pk
            for i in range(ORGANIZATIONS)
        ]
    fields = {
        "id": company.pk,
        "name": company.name,
        "subdomain": company.subdomain,
        "schema_name": company.schema_name,
        "status": company.status,
        "billing_state": company.billing_state,
    }
    return fields, ids, company_host(SUBDOMAIN)


# --- Servers -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(variant: str, port: int, company: dict[str, Any], ids: list[int]) -> dict[str, str]:
    from django.conf import settings

    from tests.deploy.production_env import PRODUCTION_TEST_ENV

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith(_DROPPED_PREFIXES)
    }
    env.update(PRODUCTION_TEST_ENV)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.routing_settings",
            "PYTHONPATH": str(REPO_ROOT),
            # run.py points DATABASE_URL at the bench database; REDIS_URL is the caller's.
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "REDIS_URL": settings.REDIS_URL,
            # The host the Domain row was created with (company_host uses BASE_DOMAIN).
            "BASE_DOMAIN": settings.BASE_DOMAIN,
            # Production's cache database, keys of this run only.
            "CACHE_KEY_PREFIX": f"bench-routing-{os.getpid()}",
            # Same for every variant: no access log line, no request log line (I/O).
            "GUNICORN_ACCESS_LOG": "off",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(WORKERS),
            "BENCH_ROUTING_VARIANT": variant,
            "BENCH_ROUTING_COMPANY": json.dumps(company),
            "BENCH_ROUTING_ORGANIZATION_IDS": ",".join(str(pk) for pk in ids),
        }
    )
    return env


@dataclass
class Server:
    variant: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the server's own process group (master and workers), then SIGKILL."""
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _start(variant: str, env: dict[str, str], port: int, log_dir: Path) -> Server:
    log_path = log_dir / f"{variant}.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would block gunicorn
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG), "saas.wsgi"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches the workers
        )
    return Server(variant=variant, port=port, process=process, log_path=log_path)


def _wait_ready(server: Server, host: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.variant} server exited: {server.log_tail()}")
        try:
            status, _headers, body = _request(server.port, host, VIEWS["one"][0])
            if status == 200:
                return
            last = f"status {status}: {body[:300]!r}"
        except OSError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"{server.variant} server not ready ({last}): {server.log_tail()}")


# --- HTTP client ---------------------------------------------------------------------------------


def _request_bytes(host: str, path: str, extra: str = "") -> bytes:
    # X-Forwarded-Proto as nginx sends it (production redirects plain HTTP to HTTPS); gunicorn
    # trusts it from 127.0.0.1. Sync workers close the connection after every response.
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Proto: https\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode("ascii")


def _exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def _status(raw: bytes) -> int:
    try:
        return int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def _request(port: int, host: str, path: str, extra: str = "") -> tuple[int, dict[str, str], bytes]:
    raw = _exchange(port, _request_bytes(host, path, extra))
    head, _, body = raw.partition(b"\r\n\r\n")
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return _status(raw), headers, body


@dataclass
class Load:
    requests: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the server's processes (master and workers)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 (state) on: index 1 ppid, 11-14 utime, stime, cutime,
    cstime (in clock ticks)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(master: int) -> float:
    """CPU time of a gunicorn master, its live workers, and the workers it has reaped (a
    worker replaced after max_requests is counted in the master's cutime/cstime)."""
    try:
        stat = _stat(master)
    except OSError:
        return 0.0
    ticks = sum(int(v) for v in stat[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            child = _stat(int(entry.name))
        except (OSError, IndexError):
            continue
        if child[1] == str(master):
            ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _load(port: int, host: str, path: str, seconds: float, pid: int = 0) -> Load:
    """CONCURRENCY threads, each sending requests back to back until `seconds` have passed;
    with `pid`, the CPU time that gunicorn master and its workers used meanwhile."""
    payload = _request_bytes(host, path)
    result = Load()
    lock = threading.Lock()
    start = threading.Barrier(CONCURRENCY + 1)
    stop_at = 0.0

    def client() -> None:
        latencies: list[float] = []
        errors: list[str] = []
        start.wait()
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                status = _status(_exchange(port, payload))
            except OSError as exc:
                errors.append(repr(exc))
                continue
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(f"HTTP {status}")
        with lock:
            result.latencies += latencies
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    gc.collect()
    gc.disable()  # no collector pause in the client while it measures
    try:
        cpu = _cpu_seconds(pid) if pid else 0.0
        t0 = time.perf_counter()
        stop_at = t0 + seconds
        start.wait()
        for thread in threads:
            thread.join()
        result.seconds = time.perf_counter() - t0
        result.cpu_seconds = (_cpu_seconds(pid) - cpu) if pid else 0.0
    finally:
        gc.enable()
    result.requests = len(result.latencies)
    return result


# --- What one request runs ------------------------------------------------------------------


def _classify(statements: dict[str, list[str]]) -> dict[str, int]:
    sql = statements["sql"]
    sets = sum(1 for s in sql if s.lstrip().upper().startswith("SET SEARCH_PATH"))
    lookups = sum(1 for s in sql if "tenants_domain" in s)
    view = sum(1 for s in sql if "crm_organization" in s)
    return {
        "sql": len(sql),
        "view": view,
        "lookup": lookups,
        "set": sets,
        "other": len(sql) - sets - lookups - view,
        "redis": len(statements["redis"]),
    }


def _statements(server: Server, host: str, path: str) -> list[dict[str, Any]]:
    samples = []
    for _ in range(COUNT_SAMPLES):
        status, headers, body = _request(server.port, host, path, "X-Bench-Count: 1\r\n")
        if status != 200 or "x-bench-statements" not in headers:
            raise RuntimeError(f"{server.variant} {path}: status {status}, {body[:300]!r}")
        samples.append(json.loads(headers["x-bench-statements"]))
    return samples


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


# --- The benchmark -----------------------------------------------------------------------------


def run(ctx: Context) -> Result:
    ctx.progress("provisioning the bench company and its organizations")
    company, ids, host = _setup()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-routing-"))
    servers: list[Server] = []

    def stop_all() -> None:
        for server in servers:
            server.stop()

    def terminated(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # runs the finally below, which stops the servers

    # The servers run in sessions of their own: a Ctrl-C reaches only this process, and a
    # SIGTERM would otherwise end it without stopping them.
    previous = signal.signal(signal.SIGTERM, terminated)
    atexit.register(stop_all)  # also on an exit that skips the finally below
    try:
        for variant in VARIANTS:
            port = _free_port()
            env = _server_env(variant, port, company, ids)
            servers.append(_start(variant, env, port, log_dir))
        for server in servers:
            _wait_ready(server, host)
        ctx.progress(
            "servers up: "
            + ", ".join(f"{s.variant} on :{s.port} (pid {s.process.pid})" for s in servers)
        )
        result = _measure(ctx, servers, host)
        if result.error:
            result.raw["server_logs"] = {s.variant: s.log_tail() for s in servers}
        return result
    finally:
        stop_all()
        atexit.unregister(stop_all)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(log_dir, ignore_errors=True)


def _measure(ctx: Context, servers: list[Server], host: str) -> Result:
    by_variant = {s.variant: s for s in servers}
    errors: list[str] = []

    ctx.progress(f"warm-up: {WARMUP_SECONDS:.0f} s per server and view")
    for view, (path, _expected) in VIEWS.items():
        for server in servers:
            warm = _load(server.port, host, path, WARMUP_SECONDS)
            errors += [f"warm-up {server.variant} {view}: {e}" for e in warm.errors[:5]]

    statements: dict[tuple[str, str], list[dict[str, Any]]] = {}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for view, (path, expected) in VIEWS.items():
        for server in servers:
            samples = _statements(server, host, path)
            statements[(server.variant, view)] = samples
            classified = [_classify(s) for s in samples]
            # The usual request (a routing cache entry may expire between samples).
            common = Counter(json.dumps(c, sort_keys=True) for c in classified).most_common(1)
            counts[(server.variant, view)] = json.loads(common[0][0])
            for c in classified:
                if c["view"] != expected or c["other"]:
                    errors.append(
                        f"{server.variant} {view}: {c['view']} view queries (expected "
                        f"{expected}), {c['other']} unexpected statements"
                    )

    rounds: dict[tuple[str, str], list[Load]] = {(v, w): [] for v in VARIANTS for w in VIEWS}
    for index in range(ROUNDS):
        ctx.check_deadline()
        order = VARIANTS[index % len(VARIANTS) :] + VARIANTS[: index % len(VARIANTS)]
        line = []
        for view, (path, _expected) in VIEWS.items():
            for variant in order:
                server = by_variant[variant]
                load = _load(server.port, host, path, SLICE_SECONDS, server.process.pid)
                rounds[(variant, view)].append(load)
                errors += [f"{variant} {view} round {index + 1}: {e}" for e in load.errors[:5]]
                line.append(f"{variant}/{view} {load.rps:.0f}")
        ctx.progress(f"round {index + 1}/{ROUNDS} (req/s): " + ", ".join(line))

    return _result(servers, rounds, counts, statements, errors)


def _result(
    servers: list[Server],
    rounds: dict[tuple[str, str], list[Load]],
    counts: dict[tuple[str, str], dict[str, int]],
    statements: dict[tuple[str, str], list[dict[str, Any]]],
    errors: list[str],
) -> Result:
    rps = {key: median([load.rps for load in loads]) for key, loads in rounds.items()}
    # Each round's ratio to plain Django in the same round, then the median over rounds.
    ratios = {
        (variant, view): [
            load.rps / plain.rps if plain.rps else 0.0
            for load, plain in zip(rounds[(variant, view)], rounds[("plain", view)], strict=True)
        ]
        for (variant, view) in rounds
    }
    ratio = {key: median(values) for key, values in ratios.items()}
    rows = []
    for view in VIEWS:
        for variant in VARIANTS:
            loads = rounds[(variant, view)]
            latencies = [lat for load in loads for lat in load.latencies]
            c = counts[(variant, view)]
            quartiles = statistics.quantiles(ratios[(variant, view)], n=4)
            per_round = [load.rps for load in loads]
            rows.append(
                {
                    "view": VIEWS[view][0],
                    "routing": LABELS[variant],
                    "SQL per request": f"{c['sql']} = {c['view']} view + {c['lookup']} lookup "
                    f"+ {c['set']} SET search_path",
                    "Redis commands": c["redis"],
                    "req/s (median)": f"{rps[(variant, view)]:.0f}",
                    "req/s min-max": f"{min(per_round):.0f}-{max(per_round):.0f}",
                    "vs plain (median of rounds)": f"{ratio[(variant, view)]:.2f}",
                    "vs plain, middle half of rounds": f"{quartiles[0]:.2f}-{quartiles[2]:.2f}",
                    "gunicorn CPU per request": f"{median([ld.cpu_ms for ld in loads]):.2f} ms",
                    "p50": _ms(_percentile(latencies, 0.50)),
                    "p95": _ms(_percentile(latencies, 0.95)),
                    "requests": sum(load.requests for load in loads),
                    "errors": sum(len(load.errors) for load in loads),
                }
            )

    target = ratio[("ours", "one")]
    targets = [
        Target(
            name="ours req/s vs plain Django, one-query view (median of per-round ratios)",
            threshold=f">= {TARGET_RATIO:.2f}",
            measured=f"{target:.3f} (medians {rps[('ours', 'one')]:.0f} / "
            f"{rps[('plain', 'one')]:.0f} req/s)",
            passed=target >= TARGET_RATIO,
        )
    ]
    notes = [
        f"ratios to plain Django (median of per-round ratios): one-query view ours "
        f"{ratio[('ours', 'one')]:.2f}, default {ratio[('default', 'one')]:.2f}; ten-query "
        f"view ours {ratio[('ours', 'ten')]:.2f}, default {ratio[('default', 'ten')]:.2f}",
        f"three gunicorn processes (deploy/gunicorn.conf.py, production settings via "
        f"bench/routing_settings.py), {WORKERS} sync workers each, preloaded, "
        "max_requests 2000 as shipped; access log and the app's request log line off in all "
        "three (I/O, the same for each)",
        f"client: {CONCURRENCY} Python threads in the benchmark process, a new connection per "
        "request (sync workers close it), X-Forwarded-Proto: https as nginx sends it",
        f"{WARMUP_SECONDS:.0f} s warm-up per server and view (not counted), then {ROUNDS} "
        f"rounds of {SLICE_SECONDS:.0f} s per server and view, the servers interleaved and "
        "their order rotated every round; req/s is the median over rounds, 'vs plain' the "
        "median over rounds of the ratio to plain Django in the same round (robust to load "
        "from outside that lasts longer than a round), p50/p95 over every measured request",
        f"client and servers share this machine's {os.cpu_count()} CPUs: absolute numbers "
        "are low and noisy; interleaving and medians are how the noise is handled, compare "
        "the ratios. Gunicorn CPU per request (master and workers, from /proc; median over "
        "rounds) depends less on that noise (contention still inflates it somewhat) and "
        "leaves out PostgreSQL's and Redis' share",
        "SQL per request: every statement psycopg sent for one request after the warm-up "
        "(header X-Bench-Count), including django-tenants' SET search_path; 'lookup' is "
        "the Domain query. Redis commands: ours asks Redis for the host -> company entry only "
        "when its per-process copy (5 s) has expired, so none on most requests",
        "CompanyMembersOnlyMiddleware is left out in all three (it redirects anonymous "
        "requests on company hosts); every other middleware is the production list",
    ]
    raw = {
        "cpu_ms_per_request_per_round": {
            f"{v}/{w}": [load.cpu_ms for load in loads] for (v, w), loads in rounds.items()
        },
        "rps_per_round": {
            f"{v}/{w}": [load.rps for load in loads] for (v, w), loads in rounds.items()
        },
        "requests_per_round": {
            f"{v}/{w}": [load.requests for load in loads] for (v, w), loads in rounds.items()
        },
        "statements": {f"{v}/{w}": samples for (v, w), samples in statements.items()},
        "settings": {
            "workers": WORKERS,
            "concurrency": CONCURRENCY,
            "warmup_seconds": WARMUP_SECONDS,
            "rounds": ROUNDS,
            "slice_seconds": SLICE_SECONDS,
        },
        "errors": errors[:50],
    }
    result = Result(
        title=TITLE,
        columns=list(rows[0]) if rows else [],
        rows=rows,
        targets=targets,
        notes=notes,
        raw=raw,
    )
    if errors:
        result.error = f"{len(errors)} error(s), first: {errors[0]}"
    return result
