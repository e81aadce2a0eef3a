"""Subdomain rules. A subdomain is a company's address and, with '-' as '_', its schema."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MIN_LENGTH = 3
MAX_LENGTH = 63

RESERVED_SUBDOMAINS = frozenset(
    {
        "about", "account", "accounts", "admin", "administrator", "api", "app", "apps",
        "assets", "auth", "billing", "blog", "cdn", "dashboard", "demo-admin", "dev",
        "docs", "email", "files", "ftp", "help", "imap", "internal", "login", "logout",
        "mail", "media", "mx", "news", "ns1", "ns2", "oauth", "password", "pop", "pop3",
        "postmaster", "public", "root", "security", "signup", "smtp", "sso", "staging",
        "static", "status", "support", "system", "template", "test", "webmail", "www",
        "information-schema",
    }
)  # fmt: skip

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def validate_subdomain(value: str) -> None:
    """Lowercase DNS label, 3-63 characters, letters/digits/inner hyphens, not reserved."""
    if not isinstance(value, str) or not value:
        raise ValidationError(_("Enter a subdomain."), code="required")
    if len(value) < MIN_LENGTH:
        raise ValidationError(
            _("The subdomain must be at least %(min)d characters long."),
            code="too_short",
            params={"min": MIN_LENGTH},
        )
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("The subdomain must be at most %(max)d characters long."),
            code="too_long",
            params={"max": MAX_LENGTH},
        )
    if value != value.lower():
        raise ValidationError(_("The subdomain must be lowercase."), code="uppercase")
    if value.startswith("-") or value.endswith("-"):
        raise ValidationError(
            _("The subdomain cannot start or end with a hyphen."), code="edge_hyphen"
        )
    if not _LABEL.match(value):
        raise ValidationError(
            _("The subdomain may contain only Latin letters, digits and hyphens."),
            code="invalid_characters",
        )
    if "--" in value[2:4] or value.startswith("xn--"):
        # Punycode-looking labels (xn--) are reserved for internationalised names.
        raise ValidationError(
            _("The subdomain cannot have two hyphens in the third and fourth positions."),
            code="punycode",
        )
    if value in RESERVED_SUBDOMAINS or value.startswith("pg-"):
        raise ValidationError(
            _("The subdomain “%(value)s” is reserved. Please choose another."),
            code="reserved",
            params={"value": value},
        )


def schema_name_for(subdomain: str) -> str:
    """The PostgreSQL schema of a company. Hyphens are not allowed unquoted in names."""
    return subdomain.replace("-", "_")
