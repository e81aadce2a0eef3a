"""SHARED_APPS / TENANT_APPS are derived from the folders: the folder decides the schema.

`shared_apps/<name>` live only in the public schema, `tenant_apps/<name>` only in each
company's schema. Moving an app between the lists after its first migration breaks every
schema, so the rule is mechanical rather than a list someone has to keep in sync.
"""

from __future__ import annotations

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _apps_in(folder: str) -> list[str]:
    root = BASE_DIR / folder
    return sorted(
        f"{folder}.{path.parent.name}"
        for path in root.glob("*/apps.py")
        if not path.parent.name.startswith("_")
    )


OWN_SHARED_APPS = _apps_in("shared_apps")
OWN_TENANT_APPS = _apps_in("tenant_apps")

SHARED_APPS = [
    # Ours first: Django takes a management command from the first app that has it, and
    # our migrate_schemas (which also migrates the template schema) must win.
    *OWN_SHARED_APPS,
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Django's admin with the platform's own site (saas/admin_site.py).
    "saas.admin_apps.PlatformAdminConfig",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Search lookups (trigram similarity, full text); no models.
    "django.contrib.postgres",
    "django_celery_beat",
    # Billing objects synced from Stripe live in public with the company they bill.
    "djstripe",
    # Sign-in, sign-up, SSO, MFA and sessions: people are global, so all of it is public.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "allauth.usersessions",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    *OWN_TENANT_APPS,
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]
