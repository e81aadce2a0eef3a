from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client, override_settings

from shared_apps.health import checks
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.processes import run_python

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "unknown.example", "10.0.0.9"])
def test_live_answers_on_every_host_without_dependencies(host: str) -> None:
    response = host_client(host).get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "unknown.example"])
def test_ready_reports_every_check(host: str, alpha: Company) -> None:
    response = host_client(host).get("/health/ready")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "template"}
    assert all(check["ok"] for check in body["checks"].values())
    # nothing about companies or hosts leaks
    text = json.dumps(body)
    assert "alpha" not in text
    assert "127.0.0.1" not in text


@pytest.mark.django_db
def test_ready_names_a_dead_broker() -> None:
    with override_settings(CELERY_BROKER_URL=DEAD_REDIS):
        response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["error"] == "ConnectionError"
    assert "127.0.0.1:1" not in response.content.decode()


@pytest.mark.django_db
def test_ready_names_a_dead_cache() -> None:
    dead_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # override_settings resets the cache handlers (Django's setting_changed receiver)
    with override_settings(CACHES=dead_cache):
        response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


@pytest.mark.django_db
def test_ready_names_a_template_behind_the_code() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM _template.django_migrations WHERE app = 'history'")
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["template"]
    assert body["checks"]["template"]["error"] == "template schema behind by 1 migrations"


def test_ready_names_a_dead_database() -> None:
    # A process whose database is unreachable (the pool's timeout shortened to keep it quick).
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client(HTTP_HOST='localhost').get('/health/ready')\n"
        "print(r.status_code, r.content.decode())\n"
    )
    result = run_python(
        code, DATABASE_URL="postgres://postgres@127.0.0.1:1/crm", DB_POOL_TIMEOUT="1"
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503"
    payload = json.loads(body)
    assert "database" in payload["failed"]
    assert payload["checks"]["cache"]["ok"]
    assert payload["checks"]["broker"]["ok"]


def test_a_check_that_raises_is_reported_not_raised() -> None:
    def broken() -> str | None:
        raise RuntimeError("secret detail")

    results = checks.run_checks({"x": broken})
    assert results["x"]["ok"] is False
    assert results["x"]["error"] == "RuntimeError"


@pytest.mark.django_db
def test_ready_names_a_template_whose_ddl_is_not_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared_apps.tenants import schema_template
    from shared_apps.tenants.models import SchemaTemplateState

    monkeypatch.setattr(schema_template, "_rendered", {})
    SchemaTemplateState.objects.all().delete()
    response = Client(HTTP_HOST="localhost").get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["template"]
    assert body["checks"]["template"]["error"] == "template DDL not rendered (run migrate_schemas)"
