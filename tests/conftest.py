"""Every test run has two companies, `alpha` and `beta`, so cross-company leaks show up.

They are provisioned once per run (committed to the test database), not per test class.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings

from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company
from shared_apps.tenants.selectors import routing_local_clear
from shared_apps.tenants.services import company_provision

# The fake Stripe API server (real HTTP) and its fixtures: tests/stripe_fake/fixtures.py.
pytest_plugins = ["tests.stripe_fake.fixtures"]

COMPANIES = {"alpha": "Alpha Ltd", "beta": "Бета ООД"}


def pytest_configure(config: pytest.Config) -> None:
    # Translations are compiled by `make install`; compile here too (skipped when current)
    # so a bare `pytest` tests the same Bulgarian catalog.
    from saas.dev.compilemessages import compile_all

    compile_all()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for subdomain, name in COMPANIES.items():
            if not Company.objects.filter(subdomain=subdomain).exists():
                company_provision(
                    name=name, subdomain=subdomain, owner_email=f"owner@{subdomain}.test"
                )


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Each test starts in public with an empty cache (tests have their own Redis db)."""
    connection.set_schema_to_public()
    caches["default"].clear()
    routing_local_clear()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def cache_down() -> Iterator[None]:
    """Every cache alias points at a Redis that refuses connections (nothing on port 1)."""
    dead = {
        alias: {
            **config,
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        for alias, config in settings.CACHES.items()
    }
    # override_settings resets the cache handlers (Django's setting_changed receiver)
    with override_settings(CACHES=dead):
        yield


@pytest.fixture
def send_emails_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emails go out after commit through a Celery task; a test's transaction never commits.
    Here they are sent at once, in-process, to the test backend (django.core.mail.outbox)."""
    from shared_apps.notifications import services
    from shared_apps.notifications.tasks import send_email

    monkeypatch.setattr(services.transaction, "on_commit", lambda func, *a, **k: func())
    monkeypatch.setattr(send_email, "delay", lambda **kwargs: send_email.apply(kwargs=kwargs))


@pytest.fixture
def alpha(db: None) -> Company:
    return Company.objects.get(subdomain="alpha")


@pytest.fixture
def beta(db: None) -> Company:
    return Company.objects.get(subdomain="beta")


def host_client(host: str, **kwargs: object) -> Client:
    """A test client that sends every request to `host` (public or a company host)."""
    return Client(HTTP_HOST=host, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def public_client() -> Client:
    return host_client("localhost")


@pytest.fixture
def alpha_client(alpha: Company) -> Client:
    return host_client("alpha.localhost")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failing test's report shows the log of every server or worker the test ran against
    (started with tests.processes.background_process)."""
    from tests import processes

    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for started in processes.running():
            report.sections.append((f"log of {started.describe()}", started.tail()))
