"""The LOGGING setting, built from the environment by the settings modules."""

from __future__ import annotations

from typing import Any

# Our own code: development logs it at DEBUG while libraries stay at the root level.
APP_LOGGERS = ("saas", "shared_apps", "tenant_apps", "security", "audit")
FORMATS = ("json", "console")
STREAMS = ("stdout", "stderr")


def logging_config(
    *, level: str = "INFO", fmt: str = "json", app_level: str = "", stream: str = "stdout"
) -> dict[str, Any]:
    """Everything goes to one handler on the root logger (loggers propagate, so pytest's
    caplog keeps working). The handler adds the request/task context and redacts secrets,
    then formats as JSON lines or readable console lines.

    `level` is the root level; `app_level` (default: `level`) the level of our own loggers.
    `stream`: production's web, worker and beat log to stdout (LOG_STREAM); development,
    tests and one-off commands whose output is redirected (`dumpdata > file`) use stderr.
    """
    from django.core.exceptions import ImproperlyConfigured

    level = level.upper()
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}.")
    stream = stream.lower()
    if stream not in STREAMS:
        raise ImproperlyConfigured(
            f"LOG_STREAM must be one of {', '.join(STREAMS)}, not {stream!r}."
        )
    app_level = (app_level or level).upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "saas.logs.filters.ContextFilter"},
            "secrets": {"()": "saas.logs.filters.SecretFilter"},
        },
        "formatters": {
            "json": {"()": "saas.logs.formatters.JsonFormatter"},
            "console": {"()": "saas.logs.formatters.ConsoleFormatter"},
        },
        "handlers": {
            "main": {
                "class": "logging.StreamHandler",
                "stream": f"ext://sys.{stream}",
                "filters": ["context", "secrets"],
                "formatter": fmt,
            },
        },
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            # SQL at DEBUG would print every query (with its parameters).
            "django.db.backends": {"level": "WARNING"},
            # Our request line replaces Django's runserver access line.
            "django.server": {"level": "WARNING"},
            "celery": {"level": level},
            **{name: {"level": app_level} for name in APP_LOGGERS},
        },
    }
