"""Test settings: real PostgreSQL and Redis, nothing else from outside."""

import os

from saas.logs import logging_config
from saas.settings.base import *  # noqa: F403
from saas.settings.base import CACHES, LOG_FORMAT, REDIS_URL, env, redis_db

DEBUG = False
SECRET_KEY = "test-secret-key-that-is-long-enough-for-django-checks-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-process tests read django.core.mail.outbox; a server process started by a test sets
# EMAIL_BACKEND=...filebased.EmailBackend and EMAIL_FILE_PATH to read what it sent.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default="")
# A server process started by a browser test runs its tasks inline (no worker to start).
CELERY_TASK_ALWAYS_EAGER = env.strict_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Serve static files straight from the apps' folders (no collectstatic in dev and tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Keep test keys apart from a developer's running instance on the same Redis.
# Tests clear their cache between tests: give them a Redis database nobody else uses.
# pytest-xdist's workers gw0, gw1... each take the next one (the processes a test starts
# inherit PYTEST_XDIST_WORKER, so they use their worker's).
# (Set by pytest-xdist, not configuration: read from os.environ, not documented in .env.)
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "").removeprefix("gw")
TEST_CACHE_REDIS_DB = env.int("TEST_CACHE_REDIS_DB", default=2) + int(_xdist_worker or 0)
for _alias in CACHES.values():
    _alias["LOCATION"] = redis_db(REDIS_URL, TEST_CACHE_REDIS_DB)
    _alias["KEY_PREFIX"] = "crm-test"
# dj-stripe reads the key when it is imported: a key of the fake Stripe server's shape
# (tests/stripe_fake), never a real one. Requests go to the fake (STRIPE_API_HOST per test).
STRIPE_TEST_SECRET_KEY = env.str(
    "STRIPE_TEST_SECRET_KEY", default="sk_test_FakeStripe0000000000000000000000"
)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the tests serve http://*.localhost
# A server process started by a test (tests/servers.py) serves PORT, as `make run` does:
# links in its emails point there. In-process tests have none (https://localhost).
SERVED_PORT = env.int("PORT", default=0) or None
# A non-UTC zone shows time-zone bugs; Europe/Sofia is also the product's default.
TIME_ZONE = "Europe/Sofia"
# Warnings and errors only: a server process started by a test writes its log to a pipe
# that is read only if it fails. Tests of log lines set their own levels (caplog.at_level).
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING").upper()
LOGGING = logging_config(
    level=LOG_LEVEL, fmt=LOG_FORMAT, stream=env.str("LOG_STREAM", default="stderr")
)
