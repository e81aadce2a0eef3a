from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shared_apps.tenants.selectors import company_get_by_subdomain
from shared_apps.tenants.services import company_delete


class Command(BaseCommand):
    help = "Delete a company: drops its schema and its rows in public. Cannot be undone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subdomain", required=True)
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        subdomain = options["subdomain"]
        company = company_get_by_subdomain(subdomain)
        if company is None:
            raise CommandError(f"No company with subdomain {subdomain!r}.")
        if not options["yes"]:
            answer = input(
                f"This drops schema {company.schema_name!r} and every record of "
                f"{company.name!r}. Type the subdomain to confirm: "
            )
            if answer.strip() != subdomain:
                raise CommandError("Not confirmed; nothing was deleted.")
        company_delete(company=company)
        self.stdout.write(self.style.SUCCESS(f"Deleted company {subdomain!r}."))
