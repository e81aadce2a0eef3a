"""Local development: `make run`. Never used in production."""

from saas.logs import logging_config
from saas.sentry import sentry_init
from saas.settings.base import *  # noqa: F403
from saas.settings.base import LOG_LEVEL, env

DEBUG = env.strict_bool("DEBUG", default=True)
# A development-only key; production.py refuses anything like it.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-key-not-for-production-use-xx")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # http://localhost in development
# The port `make run` serves (PORT, also handed to the worker and beat): links in emails
# point there (shared_apps/tenants/origins.py) unless PUBLIC_ORIGIN is set.
SERVED_PORT = env.int("PORT", default=8000)
# Serve static files straight from the apps' folders (no collectstatic in dev and tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Readable log lines, our own code at DEBUG (LOG_LEVEL set explicitly applies to both).
LOG_FORMAT = env.str("LOG_FORMAT", default="console")
LOGGING = logging_config(
    level=LOG_LEVEL,
    fmt=LOG_FORMAT,
    app_level=env.str("LOG_LEVEL", default="DEBUG"),
    stream=env.str("LOG_STREAM", default="stderr"),
)
# Only when SENTRY_DSN is set; no performance traces unless asked for.
sentry_init(default_environment="development", default_traces_sample_rate=0.0)
