"""Test values for the variables production settings require (never real secrets)."""

from __future__ import annotations

import os

from tests.processes import child_env

PRODUCTION_TEST_ENV = {
    "DJANGO_SETTINGS_MODULE": "saas.settings.production",
    "DEBUG": "false",
    "SECRET_KEY": "deploy-test-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "BASE_DOMAIN": "crm.example.com",
    "FIELD_ENCRYPTION_KEYS": "nH0nJm4dpdw7cY8FfKx6qH3pNeQm8qG9vWcT1yZ2s0A=",
    "STRIPE_LIVE_MODE": "false",
    "STRIPE_TEST_SECRET_KEY": "sk_test_DeployTest000000000000000000000",
    "AI_ENABLED": "false",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
}
# Set on developer machines or by other tests; they would change what production reads.
_DROPPED = ("ALLOWED_HOSTS", "SENTRY_DSN", "EMAIL_BACKEND", "SECRET_KEY_FALLBACKS")


def production_env(**overrides: str) -> dict[str, str]:
    """The test database and Redis (tests/processes.py), production settings on top."""
    env = {k: v for k, v in child_env().items() if k not in _DROPPED}
    env.update(PRODUCTION_TEST_ENV)
    env.update(overrides)
    return env


def production_env_without_db(**overrides: str) -> dict[str, str]:
    """For checks that never connect: no test database needed."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(PRODUCTION_TEST_ENV)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/crm")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.update(overrides)
    return env
