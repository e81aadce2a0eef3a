from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import translation

from shared_apps.tenants.models import Company
from shared_apps.tenants.validators import (
    RESERVED_SUBDOMAINS,
    schema_name_for,
    validate_company_name,
    validate_subdomain,
)
from tests.conftest import host_client
from tests.factories import make_user


@pytest.mark.parametrize(
    "value",
    ["abc", "acme", "acme-corp", "a1b", "0day", "x" * 63, "sofia-2026", "a-b-c"],
)
def test_valid_subdomains(value: str) -> None:
    validate_subdomain(value)


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("", "required", "Enter a subdomain."),
        ("ab", "too_short", "The subdomain must be at least 3 characters long."),
        ("x" * 64, "too_long", "The subdomain must be at most 63 characters long."),
        ("Acme", "uppercase", "The subdomain must be lowercase."),
        ("-acme", "edge_hyphen", "The subdomain cannot start or end with a hyphen."),
        ("acme-", "edge_hyphen", "The subdomain cannot start or end with a hyphen."),
        ("ac_me", "invalid_characters", "may contain only Latin letters, digits and hyphens"),
        ("ac.me", "invalid_characters", "may contain only Latin letters, digits and hyphens"),
        ("акме", "invalid_characters", "may contain only Latin letters, digits and hyphens"),
        ("ac me", "invalid_characters", "may contain only Latin letters, digits and hyphens"),
        ("xn--80ak6aa92e", "punycode", "two hyphens in the third and fourth positions"),
        ("www", "reserved", "The subdomain “www” is reserved. Please choose another."),
        ("admin", "reserved", "is reserved"),
        ("api", "reserved", "is reserved"),
        ("public", "reserved", "is reserved"),
        ("static", "reserved", "is reserved"),
        ("pg-data", "reserved", "is reserved"),
    ],
)
def test_invalid_subdomains_name_the_rule(value: str, code: str, message: str) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as excinfo:
            validate_subdomain(value)
        assert excinfo.value.error_list[0].code == code
        assert message in excinfo.value.messages[0]


def test_errors_are_translated_to_bulgarian() -> None:
    with translation.override("bg"):
        with pytest.raises(ValidationError) as excinfo:
            validate_subdomain("www")
        assert "запазен" in excinfo.value.messages[0]


def test_schema_name_replaces_hyphens() -> None:
    assert schema_name_for("acme-corp") == "acme_corp"


# --- reserved names: one list, for sign-up and for the platform ------------------------------

ATTACKED = ["health", "stripe", "invite", "welcome", "i18n", "postgres", "localhost"]


@pytest.mark.parametrize(
    "value",
    [
        *ATTACKED,
        *["mail", "smtp", "static", "media", "assets", "cdn", "status", "docs", "help"],
        *["support", "billing", "app", "auth", "login", "sso", "webhooks", "template", "pg-x"],
    ],
)
def test_route_and_infrastructure_names_are_reserved(value: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_subdomain(value)
    assert excinfo.value.error_list[0].code == "reserved"


def _first_segments(patterns: list[Any], prefix: str = "") -> set[str]:
    segments: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver) and not route:
            segments |= _first_segments(pattern.url_patterns, route)
        elif route:
            segments.add(route.split("/")[0])
    return segments


def test_every_first_path_segment_of_the_public_host_is_reserved() -> None:
    segments = _first_segments(get_resolver("saas.urls_public").url_patterns)
    assert {"admin", "welcome", "stripe", "invite", "i18n"} <= segments  # the walk works
    # paths answered by middleware on every host, before the URLconf
    segments |= {"health", "csp-report", settings.STATIC_URL.strip("/")}
    assert segments - RESERVED_SUBDOMAINS == set()


def test_the_template_schema_is_reserved() -> None:
    template = settings.TENANT_TEMPLATE_SCHEMA.strip("_").replace("_", "-")
    assert template in RESERVED_SUBDOMAINS


@pytest.mark.django_db
@pytest.mark.parametrize("subdomain", ATTACKED)
def test_sign_up_refuses_reserved_subdomains(subdomain: str) -> None:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(email=f"founder-{subdomain}@example.test"))
    check = client.get("/welcome/check/", {"subdomain": subdomain}).json()
    assert check["available"] is False
    assert "reserved" in check["message"]
    response = client.post("/welcome/", {"name": "Acme", "subdomain": subdomain})
    assert response.status_code == 400
    assert "is reserved" in response.content.decode()
    assert not Company.objects.filter(subdomain=subdomain).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("subdomain", ["health", "stripe", "postgres"])
def test_the_platform_cannot_provision_a_reserved_subdomain(subdomain: str) -> None:
    # create_company (the platform's provisioning) and Company.full_clean (every admin form)
    with pytest.raises(CommandError, match="reserved"):
        call_command(
            "create_company", "--subdomain", subdomain, "--name", "X", "--owner-email", "o@x.test"
        )
    company = Company(name="X", subdomain=subdomain, schema_name=subdomain, billing_email="o@x.t")
    with pytest.raises(ValidationError) as excinfo:
        company.full_clean(exclude=["plan"], validate_unique=False)
    assert "subdomain" in excinfo.value.message_dict


def _admin_change(client: Client, company: Company, **changes: str) -> Any:
    """POST the platform admin's company form as shown, with `changes`."""
    url = f"/admin/tenants/company/{company.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data: dict[str, Any] = {
        name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None
    }
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for row in inline.formset.forms:
            data[row.add_prefix("id")] = row.instance.pk
            data[row.add_prefix(inline.formset.fk.name)] = company.pk
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data.update(changes)
    return client.post(url, data)


@pytest.mark.django_db
def test_platform_admin_cannot_rename_to_a_reserved_subdomain_nor_a_name_with_markup(
    alpha: Company,
) -> None:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(email="staff@example.test", is_staff=True, is_superuser=True))
    # the subdomain is read-only in the admin (renaming it moves a schema): a posted one is
    # ignored
    response = _admin_change(client, alpha, subdomain="health", name="Alpha Renamed")
    assert response.status_code == 302, response.context["adminform"].form.errors
    alpha.refresh_from_db()
    assert (alpha.subdomain, alpha.name) == ("alpha", "Alpha Renamed")
    # a name with markup or a line break is refused on the form, nothing saved
    for name in ("Acme</title><h1>x</h1>", "Acme\r\nBcc: x@evil.test"):
        response = _admin_change(client, alpha, name=name)
        assert response.status_code == 200
        assert "The company name cannot contain" in response.content.decode()
        alpha.refresh_from_db()
        assert alpha.name == "Alpha Renamed"


# --- company names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Acme", "Johnson & Johnson", "„Бета“ ООД", 'O\'Brien "Tools" Ltd', "Ivan's 2026 (BG)"],
)
def test_valid_company_names(value: str) -> None:
    validate_company_name(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Acme</title><h1>SECURITY ALERT</h1>", "markup_characters"),
        ("a < b", "markup_characters"),
        ("Acme\r\nBcc: x@evil.test", "control_characters"),
        ("Acme\tLtd", "control_characters"),
        ("Acme\x00", "control_characters"),
        ("Acme\u202egnp.exe", "control_characters"),
    ],
)
def test_company_names_refuse_markup_and_control_characters(value: str, code: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        validate_company_name(value)
    assert excinfo.value.error_list[0].code == code


def test_company_name_errors_are_translated_to_bulgarian() -> None:
    with translation.override("bg"):
        for value in ("a<b", "a\nb"):
            with pytest.raises(ValidationError) as excinfo:
                validate_company_name(value)
            assert "Името на фирмата" in excinfo.value.messages[0]
