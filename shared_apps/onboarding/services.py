"""Onboarding rules: is a subdomain free for a new company, and the URLs between hosts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shared_apps.accounts.models import User
from shared_apps.notifications.services import welcome_email_send
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from shared_apps.tenants.validators import validate_subdomain


@transaction.atomic
def company_create_for_user(*, user: User, name: str, subdomain: str) -> Company:
    """Sign-up's last step: provision the company with `user` as its owner and, once that
    is committed, send the welcome email."""
    company = company_provision(name=name, subdomain=subdomain, owner_email=user.email, actor=user)
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


def _origin(request: HttpRequest, host: str) -> str:
    """scheme://host[:port], with the scheme and port the request came in on (development
    runs on http://localhost:8000, production on https without a port)."""
    request_host = request.get_host()
    port = ""
    if not request_host.endswith("]") and ":" in request_host:
        port = request_host.rsplit(":", 1)[1]
    return f"{request.scheme}://{host}{':' + port if port.isdigit() else ''}"


def public_url(request: HttpRequest, path: str) -> str:
    return _origin(request, settings.BASE_DOMAIN) + path


def company_url(request: HttpRequest, subdomain: str, path: str) -> str:
    return _origin(request, f"{subdomain}.{settings.BASE_DOMAIN}") + path
