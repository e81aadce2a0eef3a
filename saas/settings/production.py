"""Production settings: refuse to start on missing or unsafe configuration."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from saas.sentry import sentry_init
from saas.settings.base import *  # noqa: F403
from saas.settings.base import (
    AI_ENABLED,
    ALLOWED_HOSTS,
    DATABASES,
    GEMINI_API_KEY,
    STRIPE_LIVE_MODE,
    STRIPE_LIVE_SECRET_KEY,
    STRIPE_TEST_SECRET_KEY,
    env,
)
from saas.settings.security import *  # noqa: F403

DEBUG = env.strict_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")

MIN_SECRET_KEY_LENGTH = 50


def _check_secret_key(value: str, name: str) -> None:
    if not value:
        raise ImproperlyConfigured(f"{name} is not set. Generate one with: {_KEYGEN}")
    if len(value) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"{name} is too short ({len(value)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH} required). Generate one with: {_KEYGEN}"
        )
    if value.startswith("django-insecure"):
        raise ImproperlyConfigured(
            f"{name} starts with 'django-insecure': it is a development key. "
            f"Generate one with: {_KEYGEN}"
        )
    if len(set(value)) < 5:
        raise ImproperlyConfigured(f"{name} has fewer than 5 distinct characters.")


_KEYGEN = "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
_check_secret_key(SECRET_KEY, "SECRET_KEY")
for _index, _old in enumerate(env.list("SECRET_KEY_FALLBACKS", default=[])):
    _check_secret_key(_old, f"SECRET_KEY_FALLBACKS[{_index}]")

if not env.list("FIELD_ENCRYPTION_KEYS", default=[]):
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS is not set (encrypts TOTP secrets at rest). Generate one with: "
        "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )

_email_backend = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
if _email_backend.rsplit(".", 2)[-2] in ("console", "locmem", "dummy", "filebased") and not (
    env.strict_bool("EMAIL_ALLOW_CONSOLE", default=False)
):
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND is {_email_backend}: production email would never be delivered. "
        "Configure SMTP (EMAIL_HOST, ...) or set EMAIL_ALLOW_CONSOLE=true deliberately."
    )

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be false in production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty: set BASE_DOMAIN or ALLOWED_HOSTS.")
if not env.str("DATABASE_URL", default=""):
    raise ImproperlyConfigured("DATABASE_URL is not set.")
if not env.str("REDIS_URL", default=""):
    raise ImproperlyConfigured("REDIS_URL is not set.")

# Error reports (and 5% of requests traced) when SENTRY_DSN is set: saas/sentry.py.
sentry_init(default_environment="production", default_traces_sample_rate=0.05)

# Billing runs on Stripe: without the key of the configured mode nothing syncs.
_stripe_key_name = "STRIPE_LIVE_SECRET_KEY" if STRIPE_LIVE_MODE else "STRIPE_TEST_SECRET_KEY"
_stripe_key = STRIPE_LIVE_SECRET_KEY if STRIPE_LIVE_MODE else STRIPE_TEST_SECRET_KEY
_stripe_prefixes = ("sk_live_", "rk_live_") if STRIPE_LIVE_MODE else ("sk_test_", "rk_test_")
if not _stripe_key:
    raise ImproperlyConfigured(
        f"{_stripe_key_name} is not set (STRIPE_LIVE_MODE is {STRIPE_LIVE_MODE})."
    )
if not _stripe_key.startswith(_stripe_prefixes):
    raise ImproperlyConfigured(
        f"{_stripe_key_name} must start with {' or '.join(_stripe_prefixes)}."
    )

# The AI assistant calls Gemini: on without a key it would fail on every use.
if AI_ENABLED and not GEMINI_API_KEY:
    raise ImproperlyConfigured(
        "GEMINI_API_KEY is not set while AI_ENABLED is true. Set the key, or set "
        "AI_ENABLED=false to run without the AI assistant."
    )
if AI_ENABLED and GEMINI_API_KEY in ("CHANGE_ME", "changeme"):
    raise ImproperlyConfigured("GEMINI_API_KEY is still the placeholder from the example file.")

# Pool size per process (docs/deploy.md, "Connection sizing"): a sync gunicorn worker or a
# Celery prefork child uses one connection at a time, a gthread worker one per thread; one
# spare covers a connection being replaced. Development and tests keep the larger default.
DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = env.int(
    "DB_POOL_MAX_SIZE", default=max(1, env.int("GUNICORN_THREADS", default=1)) + 1
)
