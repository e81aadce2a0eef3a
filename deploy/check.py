"""Deploy checks: validate the deploy kit without internet, in seconds (CI runs this).

    .venv/bin/python deploy/check.py            # every check
    .venv/bin/python deploy/check.py nginx env  # some of them (names below)

A check whose tool is missing (nginx, systemd-analyze, docker compose) is skipped with a
message, except under CI=true, where nginx and openssl are required (.ci/run installs
them). Exit status 1 when any check fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
PYTHON = sys.executable

# Values that let production settings load for a check. Not secrets: nothing connects with
# them except the database and Redis of the machine running the check.
CHECK_ENV = {
    "DJANGO_SETTINGS_MODULE": "saas.settings.production",
    "DEBUG": "false",
    "SECRET_KEY": "deploy-check-only-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
    "FIELD_ENCRYPTION_KEYS": "nH0nJm4dpdw7cY8FfKx6qH3pNeQm8qG9vWcT1yZ2s0A=",
    "BASE_DOMAIN": "crm.example.com",
    "STRIPE_LIVE_MODE": "false",
    "STRIPE_TEST_SECRET_KEY": "sk_test_DeployCheck00000000000000000000",
    "AI_ENABLED": "false",
    "LOG_LEVEL": "WARNING",
    # Some system checks query the database when it is there; without one, fail fast.
    "DB_POOL_TIMEOUT": "2",
}
_DROPPED = ("ALLOWED_HOSTS", "SENTRY_DSN", "EMAIL_BACKEND", "SECRET_KEY_FALLBACKS", "LOG_FORMAT")


class Skip(Exception):
    """The check cannot run here (a tool is missing)."""


def check_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(CHECK_ENV)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argument lists
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args[:4])} ... exited {result.returncode}:\n{output}")
    return output


def _tool(name: str) -> str:
    path = shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.access(p, os.X_OK)), None
    )
    if path:
        return path
    if os.environ.get("CI") == "true" and name in ("nginx", "openssl"):
        raise AssertionError(f"{name} is required in CI (.ci/run installs it)")
    raise Skip(f"{name} is not installed")


# --- docker-compose.production.yml ---------------------------------------------------------------
REQUIRED_SERVICES = ("postgres", "redis-broker", "redis-cache", "migrate", "web", "worker", "beat")
APP_SERVICES = ("migrate", "web", "worker", "beat")


def _command_text(service: dict[str, Any]) -> str:
    parts: list[str] = []
    for key in ("entrypoint", "command"):
        value = service.get(key) or []
        parts.extend(value if isinstance(value, list) else str(value).split())
    return " ".join(str(part) for part in parts)


def compose_problems(path: Path) -> list[str]:
    """The production compose file's required services and settings."""
    data = yaml.safe_load(path.read_text())
    services: dict[str, Any] = data.get("services") or {}
    problems = [f"service {name} is missing" for name in REQUIRED_SERVICES if name not in services]
    broker = _command_text(services.get("redis-broker", {}))
    for needed in ("--maxmemory-policy noeviction", "--appendonly yes", "--appendfsync everysec"):
        if needed not in broker:
            problems.append(f"redis-broker must run with {needed}")
    cache = _command_text(services.get("redis-cache", {}))
    if "--maxmemory " not in cache or "--maxmemory-policy allkeys-lru" not in cache:
        problems.append("redis-cache must run with --maxmemory and --maxmemory-policy allkeys-lru")
    for name in APP_SERVICES:
        service = services.get(name, {})
        env_file = service.get("env_file")
        if env_file != ".env.production" and env_file != [".env.production"]:
            problems.append(f"{name}: env_file must be .env.production")
        environment = service.get("environment") or {}
        if environment.get("DJANGO_SETTINGS_MODULE") != "saas.settings.production":
            problems.append(f"{name}: DJANGO_SETTINGS_MODULE must be saas.settings.production")
        for key, value in environment.items():
            if re.search(r"SECRET|PASSWORD|_KEY|DSN", key) and value and "${" not in str(value):
                problems.append(f"{name}: {key} is written in the compose file: keep it in .env")
        if name != "migrate":
            depends = service.get("depends_on") or {}
            if (depends.get("migrate") or {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name} must wait for migrate to complete successfully")
    if "migrate_schemas" not in _command_text(services.get("migrate", {})):
        problems.append("migrate must run migrate_schemas")
    if "gunicorn" in _command_text(services.get("web", {})):
        problems.append("web must use the image's gunicorn entrypoint, not its own command")
    if "worker" not in _command_text(services.get("worker", {})):
        problems.append("worker must run `celery -A saas worker`")
    beat = services.get("beat", {})
    if "beat" not in _command_text(beat) or "DatabaseScheduler" not in _command_text(beat):
        problems.append("beat must run `celery -A saas beat` with the DatabaseScheduler")
    if (beat.get("deploy") or {}).get("replicas", 1) != 1:
        problems.append("beat must run exactly one replica")
    return problems


def check_compose() -> str:
    path = ROOT / "docker-compose.production.yml"
    problems = compose_problems(path)
    if problems:
        raise AssertionError("\n".join(problems))
    docker = shutil.which("docker")
    if docker and (ROOT / ".env.production").exists():
        _run([docker, "compose", "-f", str(path), "config", "--quiet"])
        return "services and settings ok; docker compose config ok"
    return "services and settings ok (docker compose config skipped: no compose or .env)"


# --- Dockerfile, .dockerignore, Procfile ---------------------------------------------------------
def dockerfile_problems(dockerfile: str, dockerignore: str) -> list[str]:
    lines = re.sub(r"\\\n", " ", dockerfile).splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    stages = [line for line in instructions if line.upper().startswith("FROM ")]
    problems = []
    if len(stages) < 2:
        problems.append("the Dockerfile must be multi-stage (a build and a runtime stage)")
    final = instructions[instructions.index(stages[-1]) :] if stages else instructions
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the runtime stage must switch to a non-root USER")
    healthchecks = [line for line in final if line.upper().startswith("HEALTHCHECK ")]
    if not healthchecks or "/health/live" not in healthchecks[-1]:
        problems.append("the runtime stage needs a HEALTHCHECK on /health/live")
    start = " ".join(line for line in final if line.upper().startswith(("ENTRYPOINT", "CMD")))
    if "gunicorn" not in start or "deploy/gunicorn.conf.py" not in start:
        problems.append("the image must start gunicorn -c deploy/gunicorn.conf.py")
    runs = " ".join(line for line in instructions if line.upper().startswith("RUN "))
    for step in ("saas.dev.compilemessages", "collectstatic"):
        if step not in runs:
            problems.append(f"the build must run {step}")
    if not re.search(r"pip install --require-hashes [^&]*-r requirements/production\.txt", runs):
        problems.append(
            "the build must install the lock: pip install --require-hashes "
            "-r requirements/production.txt"
        )
    for line in instructions:
        if re.match(r"(ENV|ARG)\s", line, re.IGNORECASE) and re.search(
            r"SECRET_KEY|PASSWORD|STRIPE_(LIVE|TEST)_SECRET|FIELD_ENCRYPTION", line
        ):
            problems.append(f"a secret must not be an ENV/ARG of the image: {line[:60]}")
    ignored = {line.strip() for line in dockerignore.splitlines() if line.strip()}
    for needed in (".git", ".env", ".venv", ".data"):
        if needed not in ignored:
            problems.append(f".dockerignore must exclude {needed}")
    return problems


def docker_build_env(dockerfile: str) -> dict[str, str]:
    """The dummy variables the Dockerfile gives its collectstatic step."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    step = next(
        line for line in joined.splitlines() if line.startswith("RUN ") and "collectstatic" in line
    )
    return dict(re.findall(r"\b([A-Z][A-Z0-9_]*)=(\S*)", step.split("python manage.py")[0]))


def check_dockerfile() -> str:
    dockerfile = (ROOT / "Dockerfile").read_text()
    problems = dockerfile_problems(dockerfile, (ROOT / ".dockerignore").read_text())
    if problems:
        raise AssertionError("\n".join(problems))
    return "multi-stage, non-root, healthcheck, gunicorn entrypoint, no baked secrets"


def check_procfile() -> str:
    entries = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line
    )
    expected = {
        "web": "gunicorn -c deploy/gunicorn.conf.py saas.wsgi",
        "worker": "celery -A saas worker",
        "beat": "celery -A saas beat",
        "release": "migrate_schemas",
    }
    problems = [
        f"Procfile {name}: must contain {text!r}"
        for name, text in expected.items()
        if text not in entries.get(name, "")
    ]
    if problems:
        raise AssertionError("\n".join(problems))
    return "web, worker, beat, release"


# --- systemd -----------------------------------------------------------------------------------
UNITS = ("crm-web.socket", "crm-web.service", "crm-worker.service", "crm-beat.service")
_HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes")


def unit_problems(name: str, text: str) -> list[str]:
    if not name.endswith(".service"):
        return []
    lines = {line.strip() for line in text.splitlines()}
    problems = [f"{name}: {needed} is missing" for needed in _HARDENING if needed not in lines]
    for needed in ("User=crm", "Restart=on-failure", "EnvironmentFile=/etc/crm/crm.env"):
        if needed not in lines:
            problems.append(f"{name}: {needed} is missing")
    if "Environment=DJANGO_SETTINGS_MODULE=saas.settings.production" not in lines:
        problems.append(f"{name}: must set DJANGO_SETTINGS_MODULE=saas.settings.production")
    return problems


def check_systemd() -> str:
    problems = []
    for name in UNITS:
        problems += unit_problems(name, (DEPLOY / "systemd" / name).read_text())
    if problems:
        raise AssertionError("\n".join(problems))
    analyze = _tool("systemd-analyze")
    with tempfile.TemporaryDirectory() as tmp:
        # The units point at /opt/crm/current; verify them against this checkout instead
        # (systemd-analyze checks that the programs exist).
        venv = Path(sys.prefix)  # this virtualenv, as /opt/crm/current/.venv would be
        for name in UNITS:
            text = (DEPLOY / "systemd" / name).read_text()
            text = text.replace("/opt/crm/current/.venv", str(venv))
            text = text.replace("/opt/crm/current", str(ROOT))
            (Path(tmp) / name).write_text(text)
        output = _run([analyze, "verify", *(str(Path(tmp) / name) for name in UNITS)])
    if output:
        raise AssertionError(f"systemd-analyze verify reported:\n{output}")
    return f"systemd-analyze verify ok ({len(UNITS)} units), hardening present"


# --- nginx --------------------------------------------------------------------------------------
def render_nginx(**env: str) -> str:
    full = {**os.environ, **env}
    return _run(["bash", str(DEPLOY / "nginx" / "render")], env=full)


def check_nginx() -> str:
    nginx = _tool("nginx")
    openssl = _tool("openssl")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "logs").mkdir()
        (tmp / "static").mkdir()
        _run(
            [
                openssl,
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=crm.example.test",
                "-addext",
                "subjectAltName=DNS:crm.example.test,DNS:*.crm.example.test",
                "-keyout",
                str(tmp / "key.pem"),
                "-out",
                str(tmp / "cert.pem"),
            ]
        )
        site = render_nginx(
            BASE_DOMAIN="crm.example.test",
            TLS_CERTIFICATE=str(tmp / "cert.pem"),
            TLS_CERTIFICATE_KEY=str(tmp / "key.pem"),
            STATIC_ROOT=str(tmp / "static"),
        )
        if re.search(r"@[A-Z_]+@", site):
            raise AssertionError("a placeholder was left in the rendered site")
        site = site.replace("/var/log/nginx/", f"{tmp}/logs/")
        (tmp / "crm.conf").write_text(site)
        mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
        (tmp / "nginx.conf").write_text(
            f"pid {tmp}/nginx.pid;\nerror_log {tmp}/logs/error.log;\nevents {{}}\n"
            f"http {{\n  {mime}\n  access_log off;\n  client_body_temp_path {tmp}/body;\n"
            f"  proxy_temp_path {tmp}/proxy;\n  fastcgi_temp_path {tmp}/fastcgi;\n"
            f"  uwsgi_temp_path {tmp}/uwsgi;\n  scgi_temp_path {tmp}/scgi;\n"
            f"  include {tmp}/crm.conf;\n}}\n"
        )
        output = _run([nginx, "-t", "-q", "-p", str(tmp), "-e", str(tmp / "logs/error.log"),
                       "-c", str(tmp / "nginx.conf")])  # fmt: skip
    return f"nginx -t ok{': ' + output if output else ''}"


# --- production settings: environment, gunicorn, Django checks, static files --------------------
_RECORDER = r"""
import json, os, sys
root = sys.argv[1]
seen = set()
_getitem = os._Environ.__getitem__

def _is_project(filename):
    return filename.startswith(root + "/") and "/.venv/" not in filename

def getitem(self, key):
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_code.co_filename
        if ("/environ/" in name or "_collections_abc" in name or name.endswith("/os.py")
                or name == "<frozen os>" or name.endswith("/saas/env.py")):
            frame = frame.f_back
            continue
        if _is_project(name):
            seen.add(self.decodekey(key) if isinstance(key, bytes) else key)
        break
    return _getitem(self, key)

os._Environ.__getitem__ = getitem
import django
django.setup()
print(json.dumps(sorted(seen)))
"""


def production_variables() -> set[str]:
    """Every variable the project's code reads while production settings load (Sentry on,
    so its variables count too)."""
    env = check_env(SENTRY_DSN="https://public@127.0.0.1:9/1")
    output = _run([PYTHON, "-c", _RECORDER, str(ROOT)], env=env)
    names: list[str] = json.loads(output.splitlines()[-1])
    return set(names)


def example_variables(text: str) -> set[str]:
    """Variables of an env file: `NAME=value` lines, also commented out (`# NAME=`)."""
    return set(re.findall(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def check_env_example() -> str:
    example = (DEPLOY / "env.production.example").read_text()
    missing = sorted(production_variables() - example_variables(example))
    if missing:
        raise AssertionError(
            "deploy/env.production.example lacks variables production reads: " + ", ".join(missing)
        )
    return f"{len(example_variables(example))} variables documented"


def check_gunicorn() -> str:
    _run(
        [PYTHON, "-m", "gunicorn", "--check-config", "-c", "deploy/gunicorn.conf.py", "saas.wsgi"],
        env=check_env(),
    )
    return "gunicorn --check-config with production settings ok"


# Warnings of `check --deploy` that are known and accepted, with the reason. Any other
# warning fails the check (as `--fail-level WARNING` would).
# Empty today: production settings pass with no warning at all.
ACCEPTED_WARNINGS: dict[str, str] = {}


def deploy_check_problems(output: str) -> list[str]:
    """Issues reported by `check --deploy` that are not in ACCEPTED_WARNINGS."""
    found = re.findall(r"\((\w+(?:\.\w+)*\.[A-Z]\d+)\)", output)
    return [issue for issue in found if issue not in ACCEPTED_WARNINGS]


def check_django() -> str:
    """`manage.py check --deploy` with production settings: errors fail, and so does every
    warning except the accepted ones."""
    output = _run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], env=check_env()
    )
    problems = deploy_check_problems(output)
    if problems:
        raise AssertionError(f"check --deploy reported {', '.join(problems)}:\n{output}")
    accepted = sorted(set(re.findall(r"\((\w+\.W\d+)\)", output)))
    note = f"; accepted: {', '.join(accepted)}" if accepted else ""
    return f"check --deploy: no errors, no unaccepted warnings{note}"


def check_collectstatic() -> str:
    """The Docker build's collectstatic step, with the Dockerfile's own dummy environment
    (only PATH besides), into a temporary directory. The image is not built here (no Docker
    daemon in CI), so this is what proves the build's environment still satisfies production
    settings and that nothing connects anywhere; the manifest post-processing also fails on
    a missing file reference."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    env.update(docker_build_env((ROOT / "Dockerfile").read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "import django, sys; django.setup(); from django.conf import settings;"
            "settings.STATIC_ROOT = sys.argv[1];"
            "from django.core.management import call_command;"
            "call_command('collectstatic', interactive=False, verbosity=0);"
            "import pathlib; print(len(list(pathlib.Path(sys.argv[1]).rglob('*'))))"
        )
        output = _run([PYTHON, "-c", code, tmp], env=env)
        if not (Path(tmp) / "staticfiles.json").exists():
            raise AssertionError("collectstatic wrote no manifest (staticfiles.json)")
    return f"collectstatic with the Docker build's environment ok ({output.splitlines()[-1]} files)"


CHECKS: dict[str, Callable[[], str]] = {
    "compose": check_compose,
    "dockerfile": check_dockerfile,
    "procfile": check_procfile,
    "systemd": check_systemd,
    "nginx": check_nginx,
    "env": check_env_example,
    "gunicorn": check_gunicorn,
    "django": check_django,
    "collectstatic": check_collectstatic,
}


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        print(f"unknown check(s): {', '.join(unknown)}; known: {', '.join(CHECKS)}")
        return 2
    failed = 0
    for name in names or list(CHECKS):
        started = time.monotonic()
        try:
            result, status = CHECKS[name](), "ok"
        except Skip as skip:
            result, status = str(skip), "SKIPPED"
        except (AssertionError, subprocess.TimeoutExpired) as error:
            result, status = str(error), "FAILED"
            failed += 1
        print(f"[{status}] {name} ({time.monotonic() - started:.1f}s): {result}", flush=True)
    print("deploy checks failed" if failed else "deploy checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
