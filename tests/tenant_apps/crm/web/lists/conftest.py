from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from tests.conftest import host_client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        return client

    return make
