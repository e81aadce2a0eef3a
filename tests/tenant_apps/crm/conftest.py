from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tests.tenant_apps.crm.factories import member_of


@pytest.fixture
def in_alpha(alpha: Company) -> Iterator[Company]:
    with schema_context("alpha"):
        yield alpha


@pytest.fixture
def owner(alpha: Company) -> User:
    return alpha.memberships.get(role="owner").user


@pytest.fixture
def admin(alpha: Company) -> User:
    return member_of(alpha, "admin")


@pytest.fixture
def member(alpha: Company) -> User:
    return member_of(alpha, "member")


@pytest.fixture
def viewer(alpha: Company) -> User:
    return member_of(alpha, "viewer")
