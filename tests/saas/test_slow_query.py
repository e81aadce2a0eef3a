"""The web statement timeout: set at connect time for web processes only, and a cancelled
query answers 503 with a page that says nothing was changed."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory
from django.utils import translation

from saas.slow_query import StatementTimeoutMiddleware, is_statement_timeout
from tests.processes import run_python

SHOW = (
    "import django; django.setup(); from django.db import connection; "
    "c = connection.cursor(); c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
)


def _show(code: str = SHOW, **env: str) -> str:
    result = run_python(code, 60, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.django_db
def test_the_wsgi_entry_point_makes_a_web_process_with_the_default_timeout() -> None:
    code = (
        "import saas.wsgi; from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    assert _show(code) == "15s"


@pytest.mark.django_db
def test_web_timeout_is_configurable_and_cancels_a_slow_query() -> None:
    code = SHOW + (
        "\ntry:\n    c.execute('SELECT pg_sleep(3)')\nexcept Exception as exc:\n"
        "    print(type(exc).__name__, exc.__cause__.sqlstate)"
    )
    result = run_python(code, SAAS_PROCESS_ROLE="web", WEB_STATEMENT_TIMEOUT_MS="300")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["300ms", "OperationalError", "57014"]


@pytest.mark.django_db
def test_workers_and_commands_have_no_timeout_unless_asked() -> None:
    assert _show() == "0"
    assert _show(TASK_STATEMENT_TIMEOUT_MS="120000") == "2min"
    assert _show(SAAS_PROCESS_ROLE="web", WEB_STATEMENT_TIMEOUT_MS="0") == "0"


def test_a_negative_timeout_refuses_to_start() -> None:
    result = run_python("import django; django.setup()", WEB_STATEMENT_TIMEOUT_MS="-5")
    assert result.returncode != 0
    assert "Statement timeouts must be 0 (off) or a number of milliseconds" in result.stderr


def _cancelled_query() -> OperationalError:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")
    except OperationalError as exc:
        return exc
    raise AssertionError("the query was not cancelled")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "This took too long"), ("bg", "Отне твърде дълго")],
)
def test_a_cancelled_query_is_a_503_page(language: str, text: str) -> None:
    exception = _cancelled_query()
    assert is_statement_timeout(exception)
    request = RequestFactory(HTTP_HOST="localhost").get("/contacts/")
    middleware = StatementTimeoutMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    with translation.override(language):
        response = middleware.process_exception(request, exception)
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert text in response.content.decode()


@pytest.mark.django_db
def test_other_database_errors_are_left_alone() -> None:
    request = RequestFactory().get("/")
    middleware = StatementTimeoutMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    assert middleware.process_exception(request, OperationalError("connection lost")) is None
    assert middleware.process_exception(request, ValueError("no")) is None
