"""A subdomain suggested from the company name: transliterated, checked with the subdomain
rules (reserved names included), never one that is taken."""

from __future__ import annotations

import pytest

from shared_apps.onboarding.suggest import subdomain_base, subdomain_suggest, transliterate
from shared_apps.tenants.models import Company
from shared_apps.tenants.validators import MAX_LENGTH, validate_subdomain
from tests.conftest import host_client
from tests.factories import make_user


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Бета ООД", "beta"),
        ("Щастие АД", "shtastie"),
        ("Мария Иванова ЕООД", "maria-ivanova"),
        ("Ябълка и Круша", "yabalka-i-krusha"),
        ("Acme Ltd.", "acme"),
        ("Café Crème GmbH", "cafe-creme"),
        ("АБ ООД", "ab-crm"),  # too short on its own
        ("ООД", "ood"),  # nothing but a legal form: kept rather than nothing
        ("!!!", ""),
    ],
)
def test_base_from_the_name(name: str, expected: str) -> None:
    assert subdomain_base(name) == expected


def test_bulgarian_official_transliteration() -> None:
    assert transliterate("Жълт щъркел ю я ц ч ш") == "zhalt shtarkel yu ya ts ch sh"


@pytest.mark.django_db
def test_a_taken_name_gets_a_number(alpha: Company) -> None:
    assert subdomain_suggest(name="Alpha") == "alpha-2"
    assert subdomain_suggest(name="Бета ООД") == "beta-2"  # the test company "beta"


@pytest.mark.django_db
def test_a_reserved_name_is_never_suggested() -> None:
    suggestion = subdomain_suggest(name="Admin")
    assert suggestion != "admin"
    validate_subdomain(suggestion)  # the validator's own rules, whatever list it holds


@pytest.mark.django_db
def test_a_long_name_fits() -> None:
    suggestion = subdomain_suggest(name="Много дълго име " * 10)
    assert len(suggestion) <= MAX_LENGTH
    validate_subdomain(suggestion)


@pytest.mark.django_db
def test_the_suggest_endpoint(alpha: Company) -> None:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    assert client.get("/welcome/suggest/", {"name": "Alpha"}).status_code == 302  # sign in
    client.force_login(make_user())
    response = client.get("/welcome/suggest/", {"name": "Alpha ООД"})
    assert response.status_code == 200
    assert response.json() == {"subdomain": "alpha-2"}
    assert client.get("/welcome/suggest/", {"name": "!!!"}).json() == {"subdomain": ""}
    assert client.get("/welcome/suggest/").json() == {"subdomain": ""}
