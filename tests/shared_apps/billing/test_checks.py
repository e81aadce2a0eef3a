"""The deployment check: an enabled webhook endpoint with a signing secret must exist."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from djstripe import models as dj

from shared_apps.billing.checks import check_webhook_endpoint
from tests.shared_apps.billing.webhook_support import endpoint_create
from tests.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


def _ids(messages: list[checks.CheckMessage]) -> list[str | None]:
    return [m.id for m in messages]


def test_no_endpoint_is_an_error_when_a_database_is_checked() -> None:
    messages = check_webhook_endpoint(databases=["default"])
    assert _ids(messages) == ["billing.E001"]
    assert messages[0].level == checks.ERROR
    assert "billing_webhook_setup" in str(messages[0].hint)


def test_without_a_database_nothing_is_read() -> None:
    assert check_webhook_endpoint(databases=None) == []


def test_it_is_a_deployment_and_database_check() -> None:
    assert check_webhook_endpoint in checks.registry.registry.get_checks(
        include_deployment_checks=True
    )
    assert check_webhook_endpoint not in checks.registry.registry.get_checks()
    assert checks.Tags.database in check_webhook_endpoint.tags


def test_an_endpoint_with_a_secret_passes(djstripe_fake: FakeStripe) -> None:
    endpoint_create("https://crm.example.com")
    assert check_webhook_endpoint(databases=["default"]) == []


@pytest.mark.parametrize(
    "change",
    [{"secret": ""}, {"status": "disabled"}, {"livemode": True}],
    ids=["no-secret", "disabled", "other-mode"],
)
def test_an_unusable_endpoint_does_not_count(
    djstripe_fake: FakeStripe, change: dict[str, Any]
) -> None:
    endpoint = endpoint_create("https://crm.example.com")
    dj.WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**change)
    assert _ids(check_webhook_endpoint(databases=["default"])) == ["billing.E001"]


def test_signature_validation_must_stay_on(djstripe_fake: FakeStripe, settings: Any) -> None:
    endpoint_create("https://crm.example.com")
    settings.DJSTRIPE_WEBHOOK_VALIDATION = "retrieve_event"
    assert _ids(check_webhook_endpoint(databases=["default"])) == ["billing.E002"]


def test_manage_check_deploy_with_the_database_fails_without_an_endpoint() -> None:
    with pytest.raises(SystemCheckError, match=r"billing\.E001"):
        call_command("check", "--deploy", "--database", "default", "--tag", "billing")
    call_command("check", "--deploy", "--tag", "billing")  # no database: not read


def test_manage_check_deploy_passes_with_an_endpoint(djstripe_fake: FakeStripe) -> None:
    endpoint_create("https://crm.example.com")
    call_command("check", "--deploy", "--database", "default", "--tag", "billing")
