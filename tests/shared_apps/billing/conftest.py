"""Fixtures of the billing tests: `english` (messages in English, for modules that ask for
it with `pytest.mark.usefixtures("english")`), alpha's `owner`, and `client_for(user)`, a
signed-in client on alpha's host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tests.conftest import host_client


@pytest.fixture
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def owner(alpha: Company) -> User:
    return alpha.memberships.get(role="owner").user


def client_for(user: User) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
