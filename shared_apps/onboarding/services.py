"""Onboarding rules: is a subdomain free for a new company, and the URLs between hosts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shared_apps.accounts.models import User
from shared_apps.notifications.services import welcome_email_send
from shared_apps.tenants import origins
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from shared_apps.tenants.validators import validate_subdomain


@transaction.atomic
def company_create_for_user(
    *, user: User, name: str, subdomain: str, language: str = ""
) -> Company:
    """Sign-up's last step: provision the company with `user` as its owner and, once that
    is committed, send the welcome email. The company's default content is written in
    `language`, the interface language the person is using (else their own)."""
    company = company_provision(
        name=name,
        subdomain=subdomain,
        owner_email=user.email,
        actor=user,
        language=language or user.language,
    )
    welcome_email_send(user=user, company=company)
    return company


def subdomain_normalize(value: str) -> str:
    return (value or "").strip().lower()


def subdomain_check(*, subdomain: str) -> tuple[bool, str]:
    """(available, message in the active language) for a would-be company subdomain.

    The same rules as company_provision(): validate_subdomain() plus "taken". Provisioning
    checks again inside its transaction, so a race is refused there too."""
    try:
        validate_subdomain(subdomain)
    except ValidationError as exc:
        return False, " ".join(str(m) for m in exc.messages)
    if Company.objects.filter(subdomain=subdomain).exists():
        return False, _("The subdomain “%(value)s” is already taken.") % {"value": subdomain}
    return True, _("“%(value)s” is available.") % {"value": subdomain}


def public_url(request: HttpRequest, path: str) -> str:
    """`path` on the public host, as served to `request` (see tenants.origins)."""
    return origins.public_url(path, request)


def company_url(request: HttpRequest, subdomain: str, path: str) -> str:
    """`path` on the company's host, as served to `request` (see tenants.origins)."""
    return origins.company_url(subdomain, path, request)
