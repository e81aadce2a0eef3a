from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from tests.conftest import client_for as signed_in_client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """`tests.conftest.client_for`, as a fixture (alpha's host, English)."""
    return signed_in_client
