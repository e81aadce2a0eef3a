"""Every test run has two companies, `alpha` and `beta`, so cross-company leaks show up.

They are provisioned once per run (committed to the test database), not per test class.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.test import Client, override_settings
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company
from shared_apps.tenants.selectors import routing_local_clear
from shared_apps.tenants.services import company_provision
from tests import db_template
from tests.tenant_apps.crm.factories import member_of

# The fake Stripe API server (real HTTP) and its fixtures: tests/stripe_fake/fixtures.py.
pytest_plugins = ["tests.stripe_fake.fixtures"]

COMPANIES = {"alpha": "Alpha Ltd", "beta": "Бета ООД"}


def pytest_configure(config: pytest.Config) -> None:
    # Translations are compiled by `make install`; compile here too (skipped when current)
    # so a bare `pytest` tests the same Bulgarian catalog.
    from saas.dev.compilemessages import compile_all

    compile_all()


def companies_provision() -> None:
    for subdomain, name in COMPANIES.items():
        if not Company.objects.filter(subdomain=subdomain).exists():
            company_provision(name=name, subdomain=subdomain, owner_email=f"owner@{subdomain}.test")


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: pytest.FixtureRequest,
    django_db_keepdb: bool,
    django_db_createdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database is a copy of a migrated template with the companies in it
    (tests/db_template.py): seconds instead of minutes. `--reuse-db` keeps an existing test
    database and migrates it forward (pytest-django's way); `--create-db` rebuilds the
    template too. Replaces pytest-django's fixture of this name."""
    from django.test.utils import teardown_databases

    verbosity = request.config.option.verbose
    keep = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        test_name = connection.creation._get_test_db_name()
        with db_template.server_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [test_name])
            exists = cursor.fetchone() is not None
        original = str(connection.settings_dict["NAME"])
        if keep and exists:
            connection.creation.create_test_db(verbosity=verbosity, serialize=False, keepdb=True)
            companies_provision()
        else:
            db_template.test_database_create(
                provision=companies_provision, rebuild=django_db_createdb, verbosity=verbosity
            )
    yield
    if not keep:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            teardown_databases([(connection, original, True)], verbosity=verbosity)


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
def email_worker(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Run each enqueued send in-process, as a worker would; remember what was enqueued."""
    from shared_apps.notifications.tasks import send_email

    calls: list[dict[str, Any]] = []

    def run(**kwargs: Any) -> None:
        calls.append(kwargs)
        send_email.apply(kwargs=kwargs)

    monkeypatch.setattr(send_email, "delay", run)
    return calls


class _CommitNow:
    """Stands in for `django.db.transaction` in one module: its `on_commit` runs the
    function at once; everything else is the real module."""

    def __getattr__(self, name: str) -> Any:
        return getattr(transaction, name)

    @staticmethod
    def on_commit(
        func: Callable[[], object], using: str | None = None, robust: bool = False
    ) -> None:
        func()


@pytest.fixture
def send_emails_now(monkeypatch: pytest.MonkeyPatch, email_worker: list[dict[str, Any]]) -> None:
    """Emails go out after commit through a Celery task; a test's transaction never commits.
    Here they are sent at once, in-process, to the test backend (django.core.mail.outbox).
    Only the email service's own `on_commit` runs at once: other code in the test (and in
    the rest of the run) still waits for a commit."""
    from shared_apps.notifications import services

    monkeypatch.setattr(services, "transaction", _CommitNow())


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


def client_for(user: User, host: str = "alpha.localhost", *, language: str = "en") -> Client:
    """A client signed in as `user`, on `host` (alpha's by default), asking for `language`."""
    client = host_client(host, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def english() -> Iterator[None]:
    """Messages in English (a module asks with `pytest.mark.usefixtures("english")`)."""
    with translation.override("en"):
        yield


@pytest.fixture
def in_alpha(alpha: Company) -> Iterator[Company]:
    with schema_context("alpha"):
        yield alpha


@pytest.fixture
def owner(alpha: Company) -> User:
    return alpha.memberships.get(role="owner").user


@pytest.fixture
def admin(alpha: Company) -> User:
    return member_of(alpha, "admin")


@pytest.fixture
def member(alpha: Company) -> User:
    return member_of(alpha, "member")


@pytest.fixture
def viewer(alpha: Company) -> User:
    return member_of(alpha, "viewer")


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
