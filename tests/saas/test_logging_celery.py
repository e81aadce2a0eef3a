"""Celery tasks log with the enqueuing request's id and user, their task id and name, and
the company whose schema they run in."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django_tenants.utils import schema_context
from kombu import Connection

from saas.celery import app
from saas.logs import context
from saas.logs.task_context import HEADER, USER_HEADER
from shared_apps.tenants.models import Company
from tests.saas.log_capture import captured_logs


@app.task(name="tests.saas.log_probe")
def log_probe(note: str) -> str:
    logging.getLogger("saas.probe").info("probe %s", note)
    return note


@pytest.mark.django_db
class TestTaskContext:
    def test_headers_of_the_message_become_the_task_context(self, alpha: Company) -> None:
        with captured_logs() as logs, schema_context(alpha.schema_name):
            result = log_probe.apply(
                ("one",), headers={HEADER: "req-0123456789abcdef", USER_HEADER: 42}
            )
        assert result.get() == "one"
        [line] = logs.lines("saas.probe")
        assert line["message"] == "probe one"
        assert line["task_id"] == result.id
        assert line["task_name"] == "tests.saas.log_probe"
        assert line["company"] == "alpha"
        assert line["request_id"] == "req-0123456789abcdef"
        assert line["user_id"] == 42

    def test_a_task_outside_any_request_runs_in_public(self) -> None:
        with captured_logs() as logs:
            result = log_probe.apply(("two",))
        [line] = logs.lines("saas.probe")
        assert (line["company"], line["task_id"]) == ("public", result.id)
        assert "request_id" not in line
        assert "user_id" not in line

    def test_context_is_restored_after_an_inline_task(self, beta: Company) -> None:
        request = RequestFactory().get("/")
        request.tenant = beta  # type: ignore[attr-defined]
        tokens = context.bind_request(request, "inline-request-0001")
        try:
            with captured_logs() as logs, schema_context(beta.schema_name):
                log_probe.apply(("three",))
                logging.getLogger("saas.probe").info("after")
        finally:
            context.unbind(tokens)
        during, after = logs.lines("saas.probe")
        assert (during["request_id"], during["company"]) == ("inline-request-0001", "beta")
        assert "task_id" in during
        assert after["request_id"] == "inline-request-0001"
        assert "task_id" not in after
        assert context.current()["request_id"] is None

    def test_publishing_from_a_request_puts_its_id_and_user_in_the_message(
        self, alpha: Company
    ) -> None:
        request = RequestFactory().get("/")
        request.tenant = alpha  # type: ignore[attr-defined]
        # a signed-in user's session, already loaded by the view
        request.session = SessionStore()
        request.session[SESSION_KEY] = "7"
        tokens = context.bind_request(request, "published-request-01")
        broker = Connection("memory://")
        try:
            with schema_context(alpha.schema_name):
                log_probe.apply_async(("four",), connection=broker, queue="log-probe")
        finally:
            context.unbind(tokens)
        message = broker.SimpleQueue("log-probe").get(timeout=2)
        assert message.headers[HEADER] == "published-request-01"
        assert message.headers[USER_HEADER] == 7
        assert message.headers["_schema_name"] == alpha.schema_name
        assert message.headers["task"] == "tests.saas.log_probe"
        broker.release()

    def test_an_id_already_in_the_headers_is_kept(self) -> None:
        tokens = context.bind_request(RequestFactory().get("/"), "outer-request-0001")
        broker = Connection("memory://")
        try:
            log_probe.apply_async(
                ("five",), connection=broker, queue="log-probe-2", headers={HEADER: "given-id-0001"}
            )
        finally:
            context.unbind(tokens)
        message = broker.SimpleQueue("log-probe-2").get(timeout=2)
        assert message.headers[HEADER] == "given-id-0001"
        assert USER_HEADER not in message.headers  # anonymous request
        broker.release()
