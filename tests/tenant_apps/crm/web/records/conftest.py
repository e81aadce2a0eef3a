from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from shared_apps.accounts.models import User
from tests.conftest import host_client


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def client_for(user: User, host: str = "alpha.localhost") -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
