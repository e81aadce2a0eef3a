"""Local development: `make run`. Never used in production."""

from saas.settings.base import *  # noqa: F403
from saas.settings.base import env

DEBUG = env.strict_bool("DEBUG", default=True)
# A development-only key; production.py refuses anything like it.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-dev-only-key-not-for-production-use-xx")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True  # http://localhost in development
# Serve static files straight from the apps' folders (no collectstatic in dev and tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
