"""`demo_company`: the demo company (with small demo CRM data) and a platform superuser, for
local development.

Idempotent, so `make run` can call it on every start: the company is provisioned once
through the normal service (schema copied from the template), and the known passwords are
reset each time so the printed credentials always work. Never run this in production.
"""

from __future__ import annotations

import os
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import ProvisioningError, company_host, company_provision

DEMO_SUBDOMAIN = "demo"
DEMO_NAME = "Demo Ltd"
OWNER_EMAIL = "owner@demo.localhost"
OWNER_PASSWORD = "demo-owner-2026"  # noqa: S105 - published development credential
OWNER_NAME = "Demo Owner"
ADMIN_EMAIL = "admin@localhost"
ADMIN_PASSWORD = "admin-2026-platform"  # noqa: S105 - published development credential
ADMIN_NAME = "Platform Admin"


class Command(BaseCommand):
    help = "Ensure the demo company and a platform superuser exist (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.SETTINGS_MODULE.endswith(".production"):
            raise CommandError("Refusing to create published credentials in production.")
        company, created = self._company()
        with transaction.atomic():
            owner = _user_with_password(OWNER_EMAIL, OWNER_PASSWORD, OWNER_NAME)
            if not Membership.objects.filter(user=owner, company=company).exists():
                membership_create(
                    user=owner, company=company, role=Membership.Role.OWNER, actor=None
                )
            admin = User.objects.filter(email__iexact=ADMIN_EMAIL).first()
            if admin is None:
                User.objects.create_superuser(ADMIN_EMAIL, ADMIN_PASSWORD, full_name=ADMIN_NAME)
            else:
                _user_with_password(ADMIN_EMAIL, ADMIN_PASSWORD, admin.full_name or ADMIN_NAME)
                User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
        # Demo CRM data on the first start only: with `--if-empty` a company that has any
        # records (seeded before, or the developer's own) is left as it is. Called by name:
        # the command belongs to the CRM (tenant_apps), which shared_apps do not import.
        call_command(
            "seed_demo", company=DEMO_SUBDOMAIN, size="small", if_empty=True, stdout=self.stdout
        )

        port = os.environ.get("PORT", "8000")
        verb = "Created" if created else "Found"
        self.stdout.write(self.style.SUCCESS(f"{verb} demo company {company.name!r}."))
        self.stdout.write(
            f"  Platform admin: http://{settings.BASE_DOMAIN}:{port}/admin/\n"
            f"      login {ADMIN_EMAIL} / {ADMIN_PASSWORD}\n"
            f"  Demo company:   http://{company_host(company.subdomain)}:{port}/\n"
            f"      login {OWNER_EMAIL} / {OWNER_PASSWORD}\n"
        )

    def _company(self) -> tuple[Company, bool]:
        company = Company.objects.filter(subdomain=DEMO_SUBDOMAIN).first()
        if company is not None:
            return company, False
        try:
            company = company_provision(
                name=DEMO_NAME, subdomain=DEMO_SUBDOMAIN, owner_email=OWNER_EMAIL
            )
        except (ValidationError, ProvisioningError) as exc:
            raise CommandError(f"Could not provision the demo company: {exc}") from exc
        return company, True


def _user_with_password(email: str, password: str, full_name: str) -> User:
    """Get or create the user and (re)set the known password, active, with a full name and a
    verified address (sign-in requires one)."""
    user = User.objects.filter(email=email.lower()).first()
    if user is None:
        user = User.objects.create_user(email, password, full_name=full_name)
    else:
        user.set_password(password)
        user.full_name = full_name
        user.is_active = True
        user.save(update_fields=["password", "full_name", "is_active"])
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user
