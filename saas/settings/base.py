"""Settings shared by every environment. Values come from the environment via `env`."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from saas.env import env
from saas.logs import logging_config
from saas.settings.apps import BASE_DIR, INSTALLED_APPS, SHARED_APPS, TENANT_APPS  # noqa: F401

env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.strict_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

# The public host (sign-up, platform admin) and the parent of every company host.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower().strip(".")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])


# --- Tenancy (django-tenants) -------------------------------------------------------------
TENANT_MODEL = "tenants.Company"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# Every new company schema is built from this migrated schema (see tenants/schema_template.py).
TENANT_TEMPLATE_SCHEMA = "_template"
PUBLIC_SCHEMA_URLCONF = "saas.urls_public"
ROOT_URLCONF = "saas.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Company schemas skip the (no-op) work of public-only migrations: see migrate_command.py.
TENANT_BASE_MIGRATE_COMMAND = "shared_apps.tenants.migrate_command.Command"
# Tenants are provisioned by our own service, never by TenantMixin.save().
TENANT_CREATION_FAKES_MIGRATIONS = False
# Issue `SET search_path` only when the schema changes, not on every cursor. Safe because
# django-tenants (4.0.1+) forgets the cached path on rollback and savepoint rollback, which
# revert a SET (its issue 1262); tests/shared_apps/tenants/test_search_path.py proves it.
TENANT_LIMIT_SET_CALLS = True

MIDDLEWARE = [
    # Request id (X-Request-ID), log context and the request log line: first, to time it all.
    "saas.logs.middleware.RequestIdMiddleware",
    # Security headers and the CSP on every response, health and static files included.
    "saas.headers.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "shared_apps.health.middleware.HealthCheckMiddleware",
    "saas.csp_report.CSPReportMiddleware",  # POST /csp-report/ on any host, before routing
    "shared_apps.tenants.middleware.CompanyRoutingMiddleware",
    # Oversized bodies are refused (413) before anything reads them (known hosts only).
    "saas.request_limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session is used only on the host it was opened on (a copied cookie is refused).
    "shared_apps.accounts.session_binding.SessionHostBindingMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Records the session's "last seen" at most every SESSION_ACTIVITY_INTERVAL (no write per page).
    "shared_apps.accounts.session_activity.SessionActivityMiddleware",
    "shared_apps.accounts.session_limit.AbsoluteSessionLifetimeMiddleware",
    "shared_apps.accounts.isolation.CompanyMembersOnlyMiddleware",
    "shared_apps.accounts.mfa_policy.RequireMFAMiddleware",
    # What the company's billing state allows (read-only, suspended): after sign-in.
    "shared_apps.billing.enforcement.BillingEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "saas.middleware.FormErrorStatusMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A cache failure that reaches a view (rate limits, lockout) is a 503, not a 500.
    "saas.cache_guard.CacheUnavailableMiddleware",
    # A query cancelled by the web statement timeout is a 503 page, not a 500.
    "saas.slow_query.StatementTimeoutMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shared_apps.billing.context.billing_banner",
                "shared_apps.accounts.permission_views.permissions_context",
            ],
        },
    },
]

WSGI_APPLICATION = "saas.wsgi.application"
ASGI_APPLICATION = "saas.asgi.application"

# --- Database -----------------------------------------------------------------------------
# psycopg 3 with Django's native pool. Never put PgBouncer in transaction mode in front of
# this: search_path is session state and would leak between companies.
_db = env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/crm")
if _db["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
# django-tenants' backend, skipping the SET search_path a pooled connection already has.
_db["ENGINE"] = "shared_apps.tenants.backend"
_db["CONN_MAX_AGE"] = 0  # required with the pool; the pool keeps connections instead
_db["CONN_HEALTH_CHECKS"] = False
_db["OPTIONS"] = {
    "pool": {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        # PostgreSQL caches catalog entries per connection for every schema it touches:
        # recycle connections so their memory does not grow with the number of companies.
        "max_lifetime": env.float("DB_CONN_MAX_LIFETIME", default=600.0),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    },
}
# Statement timeout: web requests must not hold a connection (and a gunicorn worker) on a
# runaway query, so a web process (saas/wsgi.py and saas/asgi.py set SAAS_PROCESS_ROLE=web)
# gets one, set at connect time by libpq (no query of its own). It stays below gunicorn's
# 30 s worker timeout, so PostgreSQL cancels the query before the worker is killed.
# Workers, beat and commands (migrations, exports) run without one unless
# TASK_STATEMENT_TIMEOUT_MS is set. 0 turns either off.
PROCESS_ROLE = env.str("SAAS_PROCESS_ROLE", default="")
WEB_STATEMENT_TIMEOUT_MS = env.int("WEB_STATEMENT_TIMEOUT_MS", default=15_000)
TASK_STATEMENT_TIMEOUT_MS = env.int("TASK_STATEMENT_TIMEOUT_MS", default=0)
_statement_timeout = (
    WEB_STATEMENT_TIMEOUT_MS if PROCESS_ROLE == "web" else TASK_STATEMENT_TIMEOUT_MS
)
if min(WEB_STATEMENT_TIMEOUT_MS, TASK_STATEMENT_TIMEOUT_MS) < 0:
    raise ImproperlyConfigured("Statement timeouts must be 0 (off) or a number of milliseconds.")
if _statement_timeout:
    _db["OPTIONS"]["options"] = f"-c statement_timeout={_statement_timeout}"
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")


def redis_db(url: str, db: int) -> str:
    """The same Redis server, another database number: keeps cache and broker keys apart."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"] + [("db", str(db))]
        return urlunsplit(parts._replace(query=urlencode(query)))
    return urlunsplit(parts._replace(path=f"/{db}"))


# The cache gets its own Redis database (or, in production, its own instance with an
# eviction policy); the broker's must never be evicted.
CACHE_URL = env.str("CACHE_URL", default="") or redis_db(REDIS_URL, 1)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="crm"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Company-scoped code prefixes its keys with the schema (django_tenants.cache.make_key
        # through the "tenant" alias); global keys (routing, rate limits) use this one.
    },
    "tenant": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="crm"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
}
# Each process also keeps the companies it routed for this many seconds before asking Redis
# again: the longest another process goes on serving a company after it was disabled or its
# domain removed (shared_apps/tenants/selectors.py). 0 turns the per-process copy off.
ROUTING_LOCAL_CACHE_SECONDS = env.float("ROUTING_LOCAL_CACHE_SECONDS", default=5.0)
if not 0 <= ROUTING_LOCAL_CACHE_SECONDS <= 60:
    raise ImproperlyConfigured("ROUTING_LOCAL_CACHE_SECONDS must be between 0 and 60 seconds.")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or CELERY_BROKER_URL
# A broker that accepts connections and then hangs must not hold a web request (publishing
# after commit) or a worker forever: redis-py gets socket timeouts. The read timeout stays
# above kombu's BRPOP poll (1 s), so an idle worker's poll never times out.
BROKER_SOCKET_TIMEOUT = 3.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2.0,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2.0
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = "Europe/Sofia"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Synced into django-celery-beat's tables when beat starts.
CELERY_BEAT_SCHEDULE = {
    # due-task reminders: a public dispatcher, one task per company (tenant_apps/crm/tasks.py)
    "crm-task-reminders": {"task": "crm.task_reminders_all", "schedule": 60.0},
    # records deleted more than 30 days ago are removed for good, daily at 03:30 Sofia time
    "crm-deleted-records-purge": {
        "task": "crm.deleted_records_purge_all",
        "schedule": crontab(hour=3, minute=30),
    },
    # trials, grace and read-only periods that ran out move on (shared_apps/billing/tasks.py)
    "billing-grace-advance": {"task": "billing.grace_advance", "schedule": crontab(minute=7)},
    # owners of past-due companies are reminded before read-only (once per grace period)
    "billing-grace-reminders": {
        "task": "billing.grace_reminders",
        "schedule": crontab(hour=9, minute=15),
    },
    # subscriptions re-synced from Stripe in case a webhook was missed, daily
    "billing-reconcile": {"task": "billing.reconcile", "schedule": crontab(hour=4, minute=10)},
    # invalid webhook deliveries stored by dj-stripe are pruned daily
    "billing-webhook-events-prune": {
        "task": "billing.webhook_events_prune",
        "schedule": crontab(hour=4, minute=40),
    },
    # canceled companies past their retention (after the final export email) are removed
    "billing-canceled-purge": {
        "task": "billing.canceled_purge",
        "schedule": crontab(hour=5, minute=10),
    },
    # emails the broker never got (it was down at commit) or whose worker died mid-send are
    # handed to the broker again (shared_apps/notifications/outbox.py)
    "notifications-outbox-flush": {"task": "notifications.outbox_flush", "schedule": 60.0},
    # sent emails older than a week are deleted from the outbox, daily
    "notifications-outbox-prune": {
        "task": "notifications.outbox_prune",
        "schedule": crontab(hour=4, minute=50),
    },
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Cache the schema -> company lookup in workers for a minute.
CELERY_TASK_TENANT_CACHE_SECONDS = 60

# --- Stripe (dj-stripe) ------------------------------------------------------------------
# Billing behaviour (plans, webhooks, the state machine) lives in shared_apps/billing; these
# are the library's base settings, fixed before its first migration.
STRIPE_LIVE_MODE = env.strict_bool("STRIPE_LIVE_MODE", default=False)
STRIPE_LIVE_SECRET_KEY = env.str("STRIPE_LIVE_SECRET_KEY", default="")
STRIPE_TEST_SECRET_KEY = env.str("STRIPE_TEST_SECRET_KEY", default="")
# Only for tests and local runs against the fake Stripe server: dj-stripe then points the
# stripe library there at start-up. Unset in production (dj-stripe warns, djstripe.W002).
if env.str("STRIPE_API_HOST", default=""):
    STRIPE_API_HOST = env.str("STRIPE_API_HOST")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_SUBSCRIBER_MODEL = "tenants.Company"
# Signatures are always verified; dj-stripe's DEBUG-only shared-secret header is never used.
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# The billing state machine's clock (shared_apps/billing/state.py), in days: how long a
# company may stay past due before it becomes read-only, how long it stays read-only before
# it is suspended, and how long a canceled company's data is kept.
BILLING_PAST_DUE_GRACE_DAYS = env.int("BILLING_PAST_DUE_GRACE_DAYS", default=7)
BILLING_READ_ONLY_DAYS = env.int("BILLING_READ_ONLY_DAYS", default=14)
BILLING_CANCELED_RETENTION_DAYS = env.int("BILLING_CANCELED_RETENTION_DAYS", default=30)
# The final export email goes out this many days before a canceled company is deleted.
BILLING_FINAL_EXPORT_NOTICE_DAYS = env.int("BILLING_FINAL_EXPORT_NOTICE_DAYS", default=7)
# Webhook deliveries that failed validation (dj-stripe keeps them) are deleted after this.
BILLING_INVALID_WEBHOOK_KEEP_HOURS = env.int("BILLING_INVALID_WEBHOOK_KEEP_HOURS", default=24)

# --- AI assistant (Gemini) ----------------------------------------------------------------
# On by default; production refuses to start with it on and no key. AI_ENABLED=false is the
# explicit way to run without it. GEMINI_BASE_URL is only for tests and local runs against a
# fake Gemini server.
AI_ENABLED = env.strict_bool("AI_ENABLED", default=True)
GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.5-flash")
GEMINI_BASE_URL = env.str("GEMINI_BASE_URL", default="")

# --- Auth and sessions ------------------------------------------------------------------
from saas.settings.auth import *  # noqa: E402, F403

# CSP and browser security headers, every environment (production adds transport: security.py).
from saas.settings.headers import *  # noqa: E402, F403

AUTH_USER_MODEL = "accounts.User"
# Paths, not URL names: the public and company URLconfs have different names.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
# Sessions live in the database: cache-backed sessions under tenant-prefixed keys break
# logins across hosts. Cookies are host-only (no SESSION_COOKIE_DOMAIN).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shared_apps.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "bg"
LANGUAGES = [("bg", _("Bulgarian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Formats Django's own locales lack (saas/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["saas.formats"]
TIME_ZONE = "Europe/Sofia"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "saas" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.strict_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"CRM <no-reply@{BASE_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging ------------------------------------------------------------------------------------
# JSON lines on stdout with the request/task context, secrets redacted (saas/logs).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="json")  # or "console": readable lines
# stdout for the web, worker and beat processes; LOG_STREAM=stderr for one-off commands
# whose output is redirected (dumpdata > file).
LOG_STREAM = env.str("LOG_STREAM", default="stdout")
LOGGING = logging_config(level=LOG_LEVEL, fmt=LOG_FORMAT, stream=LOG_STREAM)

# Request bodies: form and JSON data up to 5 MB, multipart (files) up to 10 MB, the same as
# nginx's client_max_body_size; larger ones are refused with 413 (saas/request_limits.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
REQUEST_BODY_MAX_BYTES = 10 * 1024 * 1024
