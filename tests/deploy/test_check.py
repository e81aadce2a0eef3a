"""deploy/check.py: the kit passes its own checks, and each check catches what it is for."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.processes import ROOT


def _load_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_check", ROOT / "deploy" / "check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_check()
COMPOSE = ROOT / "docker-compose.production.yml"


def _run_check(name: str) -> str:
    try:
        result: str = check.CHECKS[name]()
    except check.Skip as skip:
        pytest.skip(str(skip))
    return result


@pytest.mark.parametrize(
    "name", ["compose", "dockerfile", "procfile", "systemd", "nginx", "env", "gunicorn"]
)
def test_the_kit_passes(name: str) -> None:
    _run_check(name)


class TestCompose:
    def _problems(self, tmp_path: Path, change: Any) -> list[str]:
        data = yaml.safe_load(COMPOSE.read_text())
        change(data["services"])
        path = tmp_path / "compose.yml"
        path.write_text(yaml.safe_dump(data))
        problems: list[str] = check.compose_problems(path)
        return problems

    def test_the_file_as_committed(self) -> None:
        assert check.compose_problems(COMPOSE) == []

    def test_an_evicting_broker(self, tmp_path: Path) -> None:
        def change(services: dict[str, Any]) -> None:
            services["redis-broker"]["command"] = [
                "redis-server",
                "--maxmemory-policy",
                "allkeys-lru",
            ]

        assert self._problems(tmp_path, change) == [
            "redis-broker must run with --maxmemory-policy noeviction",
            "redis-broker must run with --appendonly yes",
            "redis-broker must run with --appendfsync everysec",
        ]

    def test_a_cache_without_a_bound(self, tmp_path: Path) -> None:
        def change(services: dict[str, Any]) -> None:
            services["redis-cache"]["command"] = ["redis-server"]

        assert self._problems(tmp_path, change) == [
            "redis-cache must run with --maxmemory and --maxmemory-policy allkeys-lru"
        ]

    def test_missing_services_and_inline_secrets(self, tmp_path: Path) -> None:
        def change(services: dict[str, Any]) -> None:
            del services["beat"]
            services["worker"]["environment"]["SECRET_KEY"] = "real-secret-in-git"
            services["web"]["depends_on"].pop("migrate")

        problems = self._problems(tmp_path, change)
        assert "service beat is missing" in problems
        assert "worker: SECRET_KEY is written in the compose file: keep it in .env" in problems
        assert "web must wait for migrate to complete successfully" in problems


class TestDockerfile:
    dockerfile = (ROOT / "Dockerfile").read_text()
    dockerignore = (ROOT / ".dockerignore").read_text()

    def test_as_committed(self) -> None:
        assert check.dockerfile_problems(self.dockerfile, self.dockerignore) == []

    def test_root_user_single_stage_and_baked_secret(self) -> None:
        bad = (
            "FROM python:3.11-slim\nENV SECRET_KEY=abc\nRUN python manage.py collectstatic\n"
            'USER root\nCMD ["python", "manage.py", "runserver"]\n'
        )
        problems = check.dockerfile_problems(bad, ".git\n")
        assert problems == [
            "the Dockerfile must be multi-stage (a build and a runtime stage)",
            "the runtime stage must switch to a non-root USER",
            "the runtime stage needs a HEALTHCHECK on /health/live",
            "the image must start gunicorn -c deploy/gunicorn.conf.py",
            "the build must run saas.dev.compilemessages",
            "the build must install the lock: pip install --require-hashes "
            "-r requirements/production.txt",
            "a secret must not be an ENV/ARG of the image: ENV SECRET_KEY=abc",
            ".dockerignore must exclude .env",
            ".dockerignore must exclude .venv",
            ".dockerignore must exclude .data",
        ]

    def test_dependencies_resolved_at_build_time(self) -> None:
        unlocked = self.dockerfile.replace(
            "pip install --require-hashes --no-deps -r requirements/production.txt",
            "pip install .",
        )
        assert check.dockerfile_problems(unlocked, self.dockerignore) == [
            "the build must install the lock: pip install --require-hashes "
            "-r requirements/production.txt"
        ]


class TestSystemdUnits:
    def test_as_committed(self) -> None:
        for name in check.UNITS:
            text = (ROOT / "deploy" / "systemd" / name).read_text()
            assert check.unit_problems(name, text) == []

    def test_a_unit_without_hardening(self) -> None:
        text = (ROOT / "deploy" / "systemd" / "crm-worker.service").read_text()
        text = text.replace("NoNewPrivileges=yes\n", "").replace("User=crm\n", "")
        assert check.unit_problems("crm-worker.service", text) == [
            "crm-worker.service: NoNewPrivileges=yes is missing",
            "crm-worker.service: User=crm is missing",
        ]


class TestNginxTemplate:
    site = check.render_nginx(BASE_DOMAIN="crm.example.com")

    def test_rendered_for_the_public_host_and_every_company(self) -> None:
        assert "server_name crm.example.com *.crm.example.com;" in self.site
        assert "/etc/letsencrypt/live/crm.example.com/fullchain.pem" in self.site

    def test_forwarded_headers_are_set_by_nginx(self) -> None:
        for line in (
            "proxy_set_header X-Forwarded-For $remote_addr;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header X-Forwarded-Host $host;",
            "proxy_set_header X-Request-ID $crm_request_id;",
            'proxy_set_header X-Forwarded-Ssl "";',
        ):
            assert line in self.site

    @pytest.mark.parametrize(
        "value", ["", "localhost", "crm.example.com;evil", "-x.example.com", "a b.com"]
    )
    def test_bad_base_domain_is_refused(self, value: str) -> None:
        env = {**os.environ, "BASE_DOMAIN": value}
        result = subprocess.run(
            ["bash", str(ROOT / "deploy" / "nginx" / "render")],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0
        assert "BASE_DOMAIN" in result.stderr
        assert result.stdout == ""


class TestEnvExample:
    def test_placeholders_do_not_start_production(self) -> None:
        """Copying the example without filling it in must not give a running system."""
        example = (ROOT / "deploy" / "env.production.example").read_text()
        env = {k: v for k, v in os.environ.items() if k not in check.example_variables(example)}
        for line in example.splitlines():
            if line and not line.startswith("#") and "=" in line:
                name, value = line.split("=", 1)
                env[name] = value
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert "SECRET_KEY is too short" in result.stderr

    def test_a_variable_missing_from_the_example_is_reported(self) -> None:
        assert "SECRET_KEY" in check.production_variables()
        assert "SECRET_KEY" not in check.example_variables("# SECRET_KEYS=\nDEBUG=false\n")
        assert check.example_variables("# SENTRY_RELEASE=\nDEBUG=false\n") == {
            "SENTRY_RELEASE",
            "DEBUG",
        }


class TestDjangoDeployCheck:
    def test_accepted_warnings_pass_and_others_fail(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(check, "ACCEPTED_WARNINGS", {"djstripe.W002": "a reason"})
        output = (
            "WARNINGS:\n?: (djstripe.W002) STRIPE_API_HOST should not be set in production!\n"
            "?: (security.W004) You have not set a value for the SECURE_HSTS_SECONDS setting.\n"
            "?: (csp.E001) broken\n"
        )
        assert check.deploy_check_problems(output) == ["security.W004", "csp.E001"]
        assert check.deploy_check_problems(output.splitlines()[1]) == []

    def test_no_warning_is_accepted_today(self) -> None:
        output = "WARNINGS:\n?: (djstripe.W002) STRIPE_API_HOST should not be set in production!\n"
        assert check.deploy_check_problems(output) == ["djstripe.W002"]

    def test_production_settings_pass(self) -> None:
        _run_check("django")
