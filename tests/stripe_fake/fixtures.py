"""pytest fixtures for the fake Stripe server. Register them in tests/conftest.py with

    pytest_plugins = ["tests.stripe_fake.fixtures"]

`fake_stripe_server`  session-wide: one server thread for the whole run.
`fake_stripe`         per test: the server reset (empty state, clock at now), the `stripe`
                      library's globals (`api_base`, `api_key`) pointed at it; fails the test
                      if the fake itself crashed while serving it.
`stripe_client`       a `stripe.StripeClient` bound to the fake.
`djstripe_fake`       `fake_stripe` plus the Django settings dj-stripe reads
                      (STRIPE_TEST_SECRET_KEY, STRIPE_LIVE_MODE=False); syncing needs `db`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from tests.stripe_fake.fake import TEST_API_KEY, FakeStripe


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    with FakeStripe() as fake:
        yield fake


@pytest.fixture
def fake_stripe(
    fake_stripe_server: FakeStripe, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeStripe]:
    fake = fake_stripe_server
    fake.reset()
    monkeypatch.setattr(stripe, "api_base", fake.url)
    monkeypatch.setattr(stripe, "api_key", TEST_API_KEY)
    yield fake
    fake.set_down(False)
    if fake.errors:
        pytest.fail("the fake Stripe server failed:\n" + "\n".join(fake.errors), pytrace=False)


@pytest.fixture
def stripe_client(fake_stripe: FakeStripe) -> stripe.StripeClient:
    return fake_stripe.client()


@pytest.fixture
def djstripe_fake(fake_stripe: FakeStripe, settings: Any) -> FakeStripe:
    settings.STRIPE_TEST_SECRET_KEY = TEST_API_KEY
    settings.STRIPE_LIVE_MODE = False
    return fake_stripe
