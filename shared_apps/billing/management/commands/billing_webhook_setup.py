from __future__ import annotations

from typing import Any

import stripe
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_apps.billing.webhooks import webhook_endpoint_create


class Command(BaseCommand):
    help = (
        "Create the Stripe webhook endpoint for this installation (test or live mode, as "
        "STRIPE_LIVE_MODE says) and keep its signing secret, in one step."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            required=True,
            help="The public host's address, e.g. https://example.com (the path is added).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            endpoint, created = webhook_endpoint_create(base_url=options["url"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except stripe.StripeError as exc:
            raise CommandError(
                f"Stripe refused, nothing was created: {exc.user_message or exc}"
            ) from exc
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Created webhook endpoint {endpoint.id}: {endpoint.url}")
            )
        else:
            self.stdout.write(f"A webhook endpoint already exists: {endpoint.id}: {endpoint.url}")
