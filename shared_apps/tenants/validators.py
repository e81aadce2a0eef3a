"""Company name and subdomain rules. A subdomain is a company's address and, with '-' as
'_', its schema."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MIN_LENGTH = 3
MAX_LENGTH = 63

# The one list of subdomains no company may take (sign-up, `create_company`, the platform
# admin's forms: Company.subdomain's validator). Why each group is here:
RESERVED_SUBDOMAINS = frozenset(
    {
        # every first path segment of the public URLconf and of the paths middleware answers
        # on every host (tests/shared_apps/tenants/test_validators.py walks the URLconf)
        "accounts", "admin", "csp-report", "go", "health", "i18n", "invite", "pricing",
        "static", "media", "stripe", "welcome", "handoff",
        # the template schema every company is cloned from (TENANT_TEMPLATE_SCHEMA, "_template")
        # and PostgreSQL's own schemas (also every "pg-" name, below)
        "template", "public", "information-schema", "postgres", "postgresql",
        # hosts of our own infrastructure and of mail
        "localhost", "localdomain", "www", "api", "app", "apps", "assets", "cdn", "files",
        "img", "images", "uploads", "download", "downloads", "status", "health-check",
        "metrics", "grafana", "sentry", "flower", "redis", "celery", "nginx", "origin", "db",
        "database", "internal", "intranet", "vpn", "git", "ci", "s3", "backup", "backups",
        "mail", "email", "smtp", "imap", "pop", "pop3", "mx", "webmail", "postmaster",
        "autoconfig", "autodiscover", "wpad", "ns", "ns1", "ns2", "ns3", "ns4", "ftp",
        # product and account pages people could be tricked with
        "about", "account", "administrator", "auth", "oauth", "oauth2", "oidc", "saml", "sso",
        "login", "logout", "signin", "sign-in", "signup", "sign-up", "register", "password",
        "security", "billing", "payments", "invoice", "invoices", "checkout", "webhook",
        "webhooks", "docs", "help", "support", "blog", "news", "dashboard", "console",
        "portal", "root", "system", "staff", "team", "crm", "dev", "staging", "test",
        "demo-admin", "example", "invalid", "local",
    }
)  # fmt: skip
RESERVED_PREFIXES = ("pg-",)  # PostgreSQL reserves schema names starting with "pg_"

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
    if value in RESERVED_SUBDOMAINS or value.startswith(RESERVED_PREFIXES):
        raise ValidationError(
            _("The subdomain “%(value)s” is reserved. Please choose another."),
            code="reserved",
            params={"value": value},
        )


def schema_name_for(subdomain: str) -> str:
    """The PostgreSQL schema of a company. Hyphens are not allowed unquoted in names."""
    return subdomain.replace("-", "_")


# Bidirectional overrides and isolates: they reorder the text around them, so a name could
# show one thing and be another ("Acme\u202egnp.exe").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_company_name(value: str) -> None:
    """A company name is shown in email subjects, other people's inboxes, invoices (Stripe),
    CSV exports and the admin, where we do not control the escaping. Every template escapes
    it anyway; these characters are refused besides, because no real company name needs
    them and each one is how an injection or a spoofed name starts:
    - "<" and ">" (markup: "Acme</title><h1>...");
    - control characters, line breaks included (header or log line injection);
    - bidirectional overrides (text shown in another order than it is stored).
    "&", quotes and apostrophes stay allowed: "Johnson & Johnson", „Бета“ ООД, O'Brien Ltd."""
    if "<" in value or ">" in value:
        raise ValidationError(
            _("The company name cannot contain “<” or “>”."), code="markup_characters"
        )
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in value):
        raise ValidationError(
            _("The company name cannot contain line breaks or other control characters."),
            code="control_characters",
        )
