"""Settings of the gunicorn processes bench/routing.py starts: production, three routings.

`saas.settings.production` as shipped (it refuses to start without its production variables;
bench/routing.py passes the test values of tests/deploy/production_env.py), then, for every
variant alike:

- ROOT_URLCONF (the company URLconf) is bench/routing_urls.py: `/bench/one/`, `/bench/ten/`;
- `BenchCountMiddleware` first in MIDDLEWARE: it counts SQL statements and Redis commands of
  a request that asks for it (header `X-Bench-Count`); on any other request it is one
  dictionary lookup;
- `CompanyMembersOnlyMiddleware` is removed: it redirects every anonymous request on a
  company host to the sign-in page, and its only exemption is a fixed list of path prefixes
  (sign-in, password reset, static files...) that the bench paths are not under. Signing in
  would add the session, user and membership queries to every request. For an anonymous
  request on an exempt path it only compares the path, so removing it takes the same few
  microseconds from every variant.

and then only the routing differs, selected by BENCH_ROUTING_VARIANT:

- `ours`: nothing else changed (CompanyRoutingMiddleware, TENANT_LIMIT_SET_CALLS = True);
- `default`: django-tenants' TenantMainMiddleware in its place, its own database backend
  (`django_tenants.postgresql_backend`) and TENANT_LIMIT_SET_CALLS = False;
- `plain`: Django's own PostgreSQL backend, no routing middleware; the connection's
  search_path is fixed to the bench company's schema (then public) by libpq options at
  connect time, and `FixedTenantMiddleware` (in the routing middleware's place) sets
  `request.tenant` to a Company built once from BENCH_ROUTING_COMPANY, without a query.
"""

from __future__ import annotations

import copy
import json
import os

from django.core.exceptions import ImproperlyConfigured

from saas.settings.production import *  # noqa: F403
from saas.settings.production import DATABASES, MIDDLEWARE

VARIANTS = ("ours", "default", "plain")
BENCH_ROUTING_VARIANT = os.environ.get("BENCH_ROUTING_VARIANT", "")
if BENCH_ROUTING_VARIANT not in VARIANTS:
    raise ImproperlyConfigured(f"BENCH_ROUTING_VARIANT must be one of {', '.join(VARIANTS)}.")

# What the bench company is: schema, pk, subdomain, billing state; and the rows the views read.
BENCH_ROUTING_COMPANY: dict[str, object] = json.loads(os.environ.get("BENCH_ROUTING_COMPANY", "{}"))
BENCH_ROUTING_ORGANIZATION_IDS: list[int] = [
    int(pk) for pk in os.environ.get("BENCH_ROUTING_ORGANIZATION_IDS", "").split(",") if pk
]

ROOT_URLCONF = "bench.routing_urls"

_ROUTING = "shared_apps.tenants.middleware.CompanyRoutingMiddleware"
_MEMBERS_ONLY = "shared_apps.accounts.isolation.CompanyMembersOnlyMiddleware"
_REPLACEMENT = {
    "ours": _ROUTING,
    "default": "django_tenants.middleware.main.TenantMainMiddleware",
    "plain": "bench.routing_views.FixedTenantMiddleware",
}[BENCH_ROUTING_VARIANT]
if _ROUTING not in MIDDLEWARE or _MEMBERS_ONLY not in MIDDLEWARE:
    raise ImproperlyConfigured("MIDDLEWARE changed: update bench/routing_settings.py.")
MIDDLEWARE = [
    "bench.routing_views.BenchCountMiddleware",
    *(_REPLACEMENT if name == _ROUTING else name for name in MIDDLEWARE if name != _MEMBERS_ONLY),
]

DATABASES = copy.deepcopy(DATABASES)
if BENCH_ROUTING_VARIANT == "default":
    DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
    TENANT_LIMIT_SET_CALLS = False
elif BENCH_ROUTING_VARIANT == "plain":
    _schema = str(BENCH_ROUTING_COMPANY.get("schema_name", ""))
    if not _schema.replace("_", "").isalnum():
        raise ImproperlyConfigured("BENCH_ROUTING_COMPANY must name the company's schema.")
    DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = " ".join(
        part for part in (_options.get("options", ""), f"-c search_path={_schema},public") if part
    )
