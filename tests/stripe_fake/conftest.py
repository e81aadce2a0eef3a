"""The fake's own tests use its fixtures directly. Once tests/conftest.py registers
`pytest_plugins = ["tests.stripe_fake.fixtures"]`, this import is redundant (and harmless)."""

from tests.stripe_fake.fixtures import (  # noqa: F401
    djstripe_fake,
    fake_stripe,
    fake_stripe_server,
    stripe_client,
)
