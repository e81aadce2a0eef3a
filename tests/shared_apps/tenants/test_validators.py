import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from shared_apps.tenants.validators import schema_name_for, validate_subdomain


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
