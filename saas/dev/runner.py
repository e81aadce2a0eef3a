"""`make run`: the whole stack in the foreground, stopped cleanly by Ctrl-C or SIGTERM.

Why a supervisor and not a Procfile tool: it also prepares the database (migrations, the
demo company) on every start, starts the embedded services when DATABASE_URL/REDIS_URL
are unset, and guarantees nothing is left running afterwards.

Each long-running child gets its own session, so the terminal's Ctrl-C reaches only this
process; it then stops the children in order (SIGTERM, then SIGKILL of the child's whole
process group after a grace period) and the embedded services it started itself. If a
child dies, the rest are stopped and the exit status is non-zero. Children also get
PR_SET_PDEATHSIG, so even a SIGKILL of this process does not leave them orphaned.

    python -m saas.dev.runner     (PORT=8000 by default; DEV_RELOAD=1 for runserver's reloader)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from types import FrameType

from saas.dev import compilemessages, services

SETTINGS = "saas.settings.dev"
GRACE_SECONDS = 15.0
READY_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1


class Stop(Exception):
    """Raised from the SIGINT/SIGTERM handler to unwind to the shutdown code."""


def log(message: str) -> None:
    # A closed terminal or pipe must not abort the shutdown that is being logged.
    with contextlib.suppress(OSError):
        print(f"[run] {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the runner dies, however it dies."""
    # Not Linux (no prctl): the normal shutdown path still works.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# Set once stopping has begun: a signal that arrives during the cleanup (a second Ctrl-C,
# or SIGTERM sent to the whole process group arriving twice) must not abort it half-way.
_stopping: list[bool] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _stopping:
        return
    _stopping.append(True)
    raise Stop(signal.Signals(signum).name)


class Supervisor:
    """Starts named child processes and stops them all, in reverse order."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: Sequence[str], **env: str) -> None:
        log(f"starting {name}: {' '.join(argv)}")
        process = subprocess.Popen(
            list(argv),
            env={**self.env, **env},
            cwd=services.REPO_ROOT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.children.append((name, process))

    def dead(self) -> tuple[str, int] | None:
        for name, process in self.children:
            code = process.poll()
            if code is not None:
                return name, code
        return None

    def stop_all(self) -> None:
        for _name, process in reversed(self.children):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for name, process in reversed(self.children):
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {GRACE_SECONDS:.0f}s; killing it")
            _kill_group(process.pid)  # pool workers, reloader children, anything left
            process.wait()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    """Run one management command in the foreground; a failure aborts the start.

    With `capture`, its standard output is echoed and returned (to show it again later).
    """
    argv = [sys.executable, "manage.py", *args]
    log(" ".join(argv[1:]))
    result = subprocess.run(
        argv,
        env=env,
        cwd=services.REPO_ROOT,
        stdin=subprocess.DEVNULL,
        check=True,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    if not capture:
        return ""
    sys.stdout.write(result.stdout)
    sys.stdout.flush()
    return str(result.stdout)


def _wait_until(check: Callable[[], bool], supervisor: Supervisor, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.dead() is not None:
            return False
        if check():
            return True
        time.sleep(0.2)
    return False


def _web_live(port: str) -> Callable[[], bool]:
    def check() -> bool:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/health/live", headers={"Host": "localhost"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    return check


def run() -> int:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = SETTINGS
    env["PYTHONUNBUFFERED"] = "1"
    port = env.setdefault("PORT", "8000")
    embedded = services.wanted(env)
    started: list[str] = []
    supervisor = Supervisor(env)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    code = 0
    try:
        t0 = time.monotonic()
        if embedded:
            started = services.up(embedded)
            env.update(services.urls(embedded))
        compilemessages.compile_all()
        _manage(env, "migrate_schemas", "--noinput")
        # Prints the URLs and logins; they are shown again once the web server answers.
        credentials = _manage(env, "demo_company", capture=True)
        bin_dir = os.path.dirname(sys.executable)
        web = [sys.executable, "manage.py", "runserver", f"0.0.0.0:{port}", "--skip-checks"]
        if env.get("DEV_RELOAD") != "1":
            web.append("--noreload")
        celery = os.path.join(bin_dir, "celery")
        # runserver never imports saas/wsgi.py before the settings: say it is a web process.
        supervisor.start("web", web, SAAS_PROCESS_ROLE="web")
        supervisor.start(
            "worker", [celery, "-A", "saas", "worker", "-l", "info", "--concurrency", "2"]
        )
        supervisor.start("beat", [celery, "-A", "saas", "beat", "-l", "info"])
        if _wait_until(_web_live(port), supervisor, READY_TIMEOUT):
            print(
                f"\n{credentials}Ready in {time.monotonic() - t0:.1f}s. Ctrl-C stops everything.\n",
                flush=True,
            )
        while (dead := supervisor.dead()) is None:
            time.sleep(0.5)
        name, child_code = dead
        log(f"{name} exited with status {child_code}; stopping the rest")
        code = child_code if child_code > 0 else 1
    except Stop as exc:
        log(f"{exc}: stopping")
    except subprocess.CalledProcessError as exc:
        log(f"failed: {' '.join(map(str, exc.cmd))} (status {exc.returncode})")
        code = exc.returncode or 1
    except (RuntimeError, OSError, compilemessages.CatalogError) as exc:
        log(f"failed: {exc}")
        code = 1
    finally:
        _stopping.append(True)
        # A second Ctrl-C must not interrupt the cleanup half-way.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        supervisor.stop_all()
        if started:
            services.down(started)
    log(f"stopped (status {code})")
    return code


if __name__ == "__main__":
    sys.exit(run())
