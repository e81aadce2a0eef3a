"""Log format (JSON lines, readable console lines) and level by environment."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from saas.logs import logging_config
from saas.logs.formatters import ConsoleFormatter, JsonFormatter
from tests.saas.log_capture import captured_logs

ROOT = Path(__file__).resolve().parents[2]
CLOCK = re.compile(r"\d\d:\d\d:\d\d ")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
PRODUCTION_ENV = {
    "SECRET_KEY": "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/crm",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "BASE_DOMAIN": "crm.example.com",
    "DEBUG": "false",
    "FIELD_ENCRYPTION_KEYS": "nH0nJm4dpdw7cY8FfKx6qH3pNeQm8qG9vWcT1yZ2s0A=",
    "STRIPE_TEST_SECRET_KEY": "sk_test_FakeStripe0000000000000000000000",
    "AI_ENABLED": "false",
}
# Logs through the configured handlers, as a started process would.
_SNIPPET = """
import django, logging
django.setup()
logging.getLogger("shared_apps.probe").debug("app debug line")
logging.getLogger("shared_apps.probe").info("app info line password=hunter2-planted")
logging.getLogger("somelibrary").debug("library debug line")
logging.getLogger("somelibrary").warning("library warning line")
"""


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON log lines of a process's output (Python warnings may be there too)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _run(settings: str, **env: str) -> subprocess.CompletedProcess[str]:
    names = ("LOG_LEVEL", "LOG_FORMAT", "LOG_STREAM", "SENTRY_DSN", *PRODUCTION_ENV)
    full = {k: v for k, v in os.environ.items() if k not in names}
    if settings.endswith("production"):
        full.update(PRODUCTION_ENV)
    full.update(env, DJANGO_SETTINGS_MODULE=settings)
    return subprocess.run(
        [sys.executable, "-c", _SNIPPET],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestJsonFormat:
    def test_a_line_is_one_json_object_with_the_fields(self) -> None:
        with captured_logs() as logs:
            logging.getLogger("saas.probe").info(
                "hello %s", "world", extra={"deal": 12, "when": object, "request": "skipped"}
            )
        [text] = logs.text.splitlines()
        line = json.loads(text)
        assert ISO_UTC.fullmatch(line["time"])
        assert (line["level"], line["logger"], line["message"]) == (
            "INFO",
            "saas.probe",
            "hello world",
        )
        assert line["deal"] == 12
        assert line["when"] == str(object)  # not serialisable: its text
        assert "request" not in line  # Django's request object is not data
        assert "request_id" not in line  # no request: no context fields

    def test_exception_info(self) -> None:
        with captured_logs() as logs:
            try:
                raise ValueError("bad value")
            except ValueError:
                logging.getLogger("saas.probe").exception("it failed")
        [line] = logs.lines()
        assert line["level"] == "ERROR"
        assert line["exception_type"] == "ValueError"
        assert line["exception"].startswith("Traceback (most recent call last)")
        assert "ValueError: bad value" in line["exception"]

    def test_unicode_stays_readable(self) -> None:
        record = logging.LogRecord("saas", logging.INFO, __file__, 1, "Бета ООД", None, None)
        assert '"message": "Бета ООД"' in JsonFormatter().format(record)


class TestConsoleFormat:
    def test_readable_with_context(self) -> None:
        record = logging.LogRecord("saas.probe", logging.INFO, __file__, 1, "hi %s", ("x",), None)
        record.request_id, record.company, record.user_id = "abcdef0123456789", "alpha", 7
        text = ConsoleFormatter().format(record)
        assert re.fullmatch(
            r"\d\d:\d\d:\d\d INFO saas.probe \[req=abcdef01 alpha user=7\] hi x", text
        )

    def test_without_context(self) -> None:
        record = logging.LogRecord("saas", logging.WARNING, __file__, 1, "plain", None, None)
        assert ConsoleFormatter().format(record).endswith(" WARNING saas plain")


class TestConfig:
    def test_one_handler_with_context_and_redaction(self) -> None:
        config = logging_config(level="info", fmt="json")
        assert config["root"] == {"handlers": ["main"], "level": "INFO"}
        assert config["handlers"]["main"]["filters"] == ["context", "secrets"]
        assert config["handlers"]["main"]["formatter"] == "json"
        assert config["handlers"]["main"]["stream"] == "ext://sys.stdout"
        err = logging_config(stream="STDERR")
        assert err["handlers"]["main"]["stream"] == "ext://sys.stderr"
        # caplog and every other handler see our loggers: nothing stops propagation
        assert all("propagate" not in logger for logger in config["loggers"].values())
        assert config["loggers"]["django.db.backends"]["level"] == "WARNING"

    def test_app_level(self) -> None:
        config = logging_config(level="INFO", fmt="console", app_level="debug")
        assert config["loggers"]["shared_apps"]["level"] == "DEBUG"
        assert config["loggers"]["security"]["level"] == "DEBUG"
        assert config["root"]["level"] == "INFO"

    def test_unknown_format_is_refused(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be one of json, console"):
            logging_config(fmt="xml")

    def test_unknown_stream_is_refused(self) -> None:
        with pytest.raises(ImproperlyConfigured, match="LOG_STREAM must be one of stdout, stderr"):
            logging_config(stream="file")


class TestByEnvironment:
    def test_production_writes_json_at_info_to_stdout(self) -> None:
        result = _run("saas.settings.production")
        assert result.returncode == 0, result.stderr
        lines = json_lines(result.stdout)
        assert [line["message"] for line in lines] == [
            "app info line password=[REDACTED]",
            "library warning line",
        ]
        assert "hunter2-planted" not in result.stdout + result.stderr

    def test_production_commands_can_log_to_stderr(self) -> None:
        result = _run("saas.settings.production", LOG_STREAM="stderr")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""  # a redirected command's own output stays clean
        assert len(json_lines(result.stderr)) == 2

    def test_production_log_level(self) -> None:
        result = _run("saas.settings.production", LOG_LEVEL="WARNING")
        assert result.returncode == 0, result.stderr
        assert [line["message"] for line in json_lines(result.stdout)] == ["library warning line"]

    def test_development_is_readable_with_our_code_at_debug(self) -> None:
        result = _run("saas.settings.dev")
        assert result.returncode == 0, result.stderr
        lines = [line for line in result.stderr.splitlines() if CLOCK.match(line)]
        assert [line.split(" ", 1)[1] for line in lines] == [
            "DEBUG shared_apps.probe app debug line",
            "INFO shared_apps.probe app info line password=[REDACTED]",
            "WARNING somelibrary library warning line",
        ]

    def test_development_can_ask_for_json(self) -> None:
        result = _run("saas.settings.dev", LOG_FORMAT="json", LOG_LEVEL="INFO")
        assert result.returncode == 0, result.stderr
        assert len(json_lines(result.stderr)) == 2

    def test_a_bad_format_stops_start_up(self) -> None:
        result = _run("saas.settings.production", LOG_FORMAT="yaml")
        assert result.returncode != 0
        assert "LOG_FORMAT must be one of json, console, not 'yaml'" in result.stderr
