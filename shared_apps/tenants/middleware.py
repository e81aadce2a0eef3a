"""Tenant routing: the host selects the public site or one company's schema and URLconf."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import set_urlconf
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company
from shared_apps.tenants.origins import public_url
from shared_apps.tenants.selectors import company_for_host


class PublicSite:
    """Stands in for a tenant on the public host (there is no Company row for it)."""

    schema_name = settings.PUBLIC_SCHEMA_NAME
    pk = None
    subdomain = None
    name = "public"
    is_public = True


class CompanyRoutingMiddleware(TenantMainMiddleware):
    """Picks the schema from the host: the base domain is public, a known company host is
    that company, anything else is 404 (before any company data is touched)."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        connection.set_schema_to_public()
        try:
            host = self.hostname_from_request(request).lower()
        except DisallowedHost:
            return _not_found(request)
        if host == settings.BASE_DOMAIN:
            request.tenant = PublicSite()  # type: ignore[attr-defined]
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
            return None
        company = company_for_host(host)
        if company is None or company.status != Company.Status.ACTIVE:
            return _not_found(request)
        company.domain_url = host
        request.tenant = company  # type: ignore[attr-defined]
        connection.set_tenant(company)
        request.urlconf = settings.ROOT_URLCONF  # type: ignore[attr-defined]
        set_urlconf(settings.ROOT_URLCONF)
        return None


def _not_found(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context: no company, user or CSRF data on this page.
    # Routing runs before LocaleMiddleware: the language is read from the request here
    # (the language cookie, else Accept-Language).
    language = translation.get_language_from_request(request)
    try:
        home_url = public_url("/", request)
    except DisallowedHost:  # a forged Host header: no port to keep
        home_url = public_url("/")
    with translation.override(language):
        body = render_to_string(
            "404_host.html", {"public_schema": get_public_schema_name(), "home_url": home_url}
        )
    response = HttpResponseNotFound(body)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
