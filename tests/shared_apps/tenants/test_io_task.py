from __future__ import annotations

import pytest

from shared_apps.tenants.dispatch import IO_RETRY_OPTIONS, io_task

calls: list[int] = []


@io_task(name="tests.flaky_io")
def flaky_io(failures: int) -> str:
    calls.append(1)
    if len(calls) <= failures:
        raise ConnectionError("server went away")
    return "done"


@io_task(name="tests.always_down", max_retries=2)
def always_down() -> None:
    calls.append(1)
    raise TimeoutError("no answer")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_io_tasks_default_to_exponential_backoff_with_jitter() -> None:
    assert flaky_io.retry_backoff == IO_RETRY_OPTIONS["retry_backoff"] == 2
    assert flaky_io.retry_backoff_max == 600
    assert flaky_io.retry_jitter is True
    assert flaky_io.max_retries == 8
    assert ConnectionError in flaky_io.autoretry_for


def test_transient_failures_are_retried_until_success() -> None:
    result = flaky_io.apply(args=[2])
    assert result.get() == "done"
    assert len(calls) == 3


def test_retries_stop_at_max_retries_and_the_error_surfaces() -> None:
    result = always_down.apply()
    with pytest.raises(TimeoutError):
        result.get()
    assert len(calls) == 3  # the first try and two retries


def test_options_given_win_over_the_defaults() -> None:
    assert always_down.max_retries == 2
