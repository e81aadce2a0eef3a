from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from shared_apps.tenants.services import ProvisioningError, company_host, company_provision


class Command(BaseCommand):
    help = "Provision a company: its schema (copied from the template), domain and owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True, dest="owner_email")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            company = company_provision(
                name=options["name"],
                subdomain=options["subdomain"],
                owner_email=options["owner_email"],
            )
        except ValidationError as exc:
            raise CommandError(_format(exc)) from exc
        except ProvisioningError as exc:
            raise CommandError(f"Provisioning failed, nothing was created: {exc}") from exc
        except DatabaseError as exc:
            raise CommandError(
                f"Database error, nothing was created: {type(exc).__name__}: {exc}"
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created company {company.name!r} at {company_host(company.subdomain)} "
                f"(schema {company.schema_name}), owner {company.billing_email}."
            )
        )


def _format(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: " + " ".join(message for error in errors for message in error.messages)
            for field, errors in exc.error_dict.items()
        )
    return " ".join(exc.messages)
