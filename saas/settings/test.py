"""Test settings: real PostgreSQL and Redis, nothing else from outside."""

from saas.settings.base import *  # noqa: F403
from saas.settings.base import CACHES, REDIS_URL, env, redis_db

DEBUG = False
SECRET_KEY = "test-secret-key-that-is-long-enough-for-django-checks-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Keep test keys apart from a developer's running instance on the same Redis.
# Tests clear their cache between tests: give them a Redis database nobody else uses.
for _alias in CACHES.values():
    _alias["LOCATION"] = redis_db(REDIS_URL, env.int("TEST_CACHE_REDIS_DB", default=2))
    _alias["KEY_PREFIX"] = "crm-test"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # the tests serve http://*.localhost
# A non-UTC zone shows time-zone bugs; Europe/Sofia is also the product's default.
TIME_ZONE = "Europe/Sofia"
