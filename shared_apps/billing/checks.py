"""System check: Stripe can only reach us through a webhook endpoint with a signing secret.

It reads the database, so it is tagged `database` and runs only when asked for one
(`manage.py check --deploy --database default`), and it is a deployment check, so `migrate`
(which runs the database checks) does not fail on a fresh database before the endpoint is
set up (`manage.py billing_webhook_setup --url https://<public host>`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db import DatabaseError

SETUP_HINT = "Run: manage.py billing_webhook_setup --url https://<public host>"


@checks.register(checks.Tags.database, "billing", deploy=True)
def check_webhook_endpoint(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    from djstripe.models import WebhookEndpoint

    messages: list[checks.CheckMessage] = []
    if getattr(settings, "DJSTRIPE_WEBHOOK_VALIDATION", None) != "verify_signature":
        messages.append(
            checks.Error(
                "DJSTRIPE_WEBHOOK_VALIDATION must be 'verify_signature'.",
                hint="Webhooks are only trusted when their Stripe signature verifies.",
                id="billing.E002",
            )
        )
    livemode = bool(settings.STRIPE_LIVE_MODE)
    for alias in databases or ():
        try:
            found = (
                WebhookEndpoint.objects.using(alias)
                .filter(livemode=livemode, status="enabled")
                .exclude(secret="")
                .exists()
            )
        except DatabaseError as exc:
            messages.append(
                checks.Error(
                    f"Cannot read the Stripe webhook endpoints in database {alias!r}: {exc}",
                    hint="Run migrate first.",
                    id="billing.E003",
                )
            )
            continue
        if not found:
            mode = "live" if livemode else "test"
            messages.append(
                checks.Error(
                    f"No enabled Stripe webhook endpoint with a signing secret ({mode} mode) "
                    f"in database {alias!r}: Stripe's events would never be accepted.",
                    hint=SETUP_HINT,
                    id="billing.E001",
                )
            )
    return messages
