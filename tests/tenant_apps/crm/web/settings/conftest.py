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


def client_for(user: User, language: str = "en") -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client
