"""Production settings refuse to start on missing or unsafe configuration.

Each case imports the production settings in a fresh interpreter, as a real start would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from saas.env import Env

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"
BASE_ENV = {
    "SECRET_KEY": GOOD_KEY,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "BASE_DOMAIN": "crm.example.com",
    "DEBUG": "false",
    "FIELD_ENCRYPTION_KEYS": "nH0nJm4dpdw7cY8FfKx6qH3pNeQm8qG9vWcT1yZ2s0A=",
    "STRIPE_TEST_SECRET_KEY": "sk_test_" + "a1B2c3D4" * 4,
    "GEMINI_API_KEY": "gemini-test-key-" + "q7" * 8,
}
STRIPE_ENV = ("STRIPE_LIVE_MODE", "STRIPE_LIVE_SECRET_KEY", "STRIPE_TEST_SECRET_KEY", "AI_ENABLED")


def _start(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    return _run("from django.conf import settings; print(settings.ALLOWED_HOSTS)", overrides)


def _run(code: str, overrides: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in BASE_ENV and k != "ALLOWED_HOSTS" and k not in STRIPE_ENV
    }
    env.update(BASE_ENV)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "saas.settings.production"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_good_configuration_starts() -> None:
    result = _start()
    assert result.returncode == 0, result.stderr
    assert "'crm.example.com', '.crm.example.com'" in result.stdout


def test_live_mode_starts_with_a_live_key() -> None:
    result = _start(STRIPE_LIVE_MODE="true", STRIPE_LIVE_SECRET_KEY="rk_live_" + "z9" * 12)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [({}, "2"), ({"GUNICORN_THREADS": "4"}, "5"), ({"DB_POOL_MAX_SIZE": "7"}, "7")],
)
def test_pool_is_sized_for_the_process(overrides: dict[str, str], expected: str) -> None:
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    drop = {name: None for name in ("GUNICORN_THREADS", "DB_POOL_MAX_SIZE")}
    result = _run(code, {**drop, **overrides})
    assert result.returncode == 0, result.stderr
    assert f"'max_size': {expected}," in result.stdout
    assert "'max_lifetime': 600.0" in result.stdout


def test_ai_can_be_turned_off_explicitly_without_a_key() -> None:
    result = _start(AI_ENABLED="false", GEMINI_API_KEY=None)
    assert result.returncode == 0, result.stderr


def test_console_email_is_allowed_only_when_asked_for() -> None:
    result = _start(
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend", EMAIL_ALLOW_CONSOLE="true"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "short-key-123"}, "SECRET_KEY is too short (13 characters"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "starts with 'django-insecure'"),
        ({"SECRET_KEY": "a" * 60}, "fewer than 5 distinct characters"),
        ({"SECRET_KEY_FALLBACKS": "tooshort"}, "SECRET_KEY_FALLBACKS[0] is too short"),
        ({"DEBUG": "true"}, "DEBUG must be false in production"),
        ({"DEBUG": "yes"}, "DEBUG must be one of true, false, 1 or 0 (got 'yes')"),
        ({"DEBUG": "Flase"}, "DEBUG must be one of true, false, 1 or 0"),
        ({"DATABASE_URL": None}, "DATABASE_URL is not set"),
        ({"DATABASE_URL": "sqlite:///db.sqlite3"}, "DATABASE_URL must point at PostgreSQL"),
        ({"REDIS_URL": None}, "REDIS_URL is not set"),
        ({"ALLOWED_HOSTS": ","}, "ALLOWED_HOSTS is empty"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS is not set"),
        (
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "production email would never be delivered",
        ),
        ({"STRIPE_TEST_SECRET_KEY": None}, "STRIPE_TEST_SECRET_KEY is not set"),
        ({"STRIPE_TEST_SECRET_KEY": "pk_test_123"}, "must start with sk_test_ or rk_test_"),
        (
            {"STRIPE_LIVE_MODE": "true", "STRIPE_LIVE_SECRET_KEY": None},
            "STRIPE_LIVE_SECRET_KEY is not set (STRIPE_LIVE_MODE is True)",
        ),
        (
            {"STRIPE_LIVE_MODE": "true", "STRIPE_LIVE_SECRET_KEY": "sk_test_" + "x1" * 12},
            "STRIPE_LIVE_SECRET_KEY must start with sk_live_ or rk_live_",
        ),
        ({"GEMINI_API_KEY": None}, "GEMINI_API_KEY is not set while AI_ENABLED is true"),
        (
            {"AI_ENABLED": "true", "GEMINI_API_KEY": ""},
            "GEMINI_API_KEY is not set while AI_ENABLED is true",
        ),
        ({"GEMINI_API_KEY": "CHANGE_ME"}, "GEMINI_API_KEY is still the placeholder"),
        ({"AI_ENABLED": "maybe"}, "AI_ENABLED must be one of true, false, 1 or 0"),
        ({"ROUTING_LOCAL_CACHE_SECONDS": "-1"}, "ROUTING_LOCAL_CACHE_SECONDS must be between 0"),
        ({"ROUTING_LOCAL_CACHE_SECONDS": "600"}, "ROUTING_LOCAL_CACHE_SECONDS must be between 0"),
    ],
)
def test_bad_configuration_refuses_to_start(overrides: dict[str, str | None], message: str) -> None:
    result = _start(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("False", False), ("0", False), ("", False)],
)
def test_strict_bool_accepts_only_four_words(
    raw: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)
    assert Env().strict_bool("SOME_FLAG") is expected


@pytest.mark.parametrize("raw", ["yes", "on", "ture", "2", "t", "none"])
def test_strict_bool_rejects_everything_else(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG must be one of"):
        Env().strict_bool("SOME_FLAG")
