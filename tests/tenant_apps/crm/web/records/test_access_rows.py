"""The records rows of the access matrix, checked on their own (the full matrix also needs
every other area's rows)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.saas.access.records import COMPANY
from tests.saas.test_url_access import COMPANY_ROLES, _outcome, company_clients  # noqa: F401
from tests.saas.url_walk import walk


@pytest.mark.django_db
def test_records_rows(company_clients: dict[str, Client]) -> None:  # noqa: F811
    wrong = []
    routes = [r for r in walk("saas.urls_tenant") if r.key in COMPANY]
    assert {r.key for r in routes} == set(COMPANY)
    for route in routes:
        for role, want in zip(COMPANY_ROLES, COMPANY[route.key], strict=True):
            got = _outcome(company_clients[role], route.path)
            if got != want:
                wrong.append(f"{route.key} {route.path} as {role}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
