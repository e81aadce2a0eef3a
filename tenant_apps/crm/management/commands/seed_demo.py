"""`seed_demo`: fill a company's CRM with realistic demo data (development and demos).

    python manage.py seed_demo --company demo --size small [--seed 7] [--replace]

`small` (about 50 organizations, 200 contacts, 60 deals, 300 activities) loads in a second;
`large` (20,000 organizations, 100,000 contacts, 20,000 deals, 200,000 activities, 40,000
notes) in about a minute. It writes in that company's schema only, refuses a company that
already has CRM data unless `--replace` (which deletes those rows first), and with
`--if-empty` quietly does nothing for such a company (what `make run` uses on every start).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_tenants.utils import schema_context

from shared_apps.accounts.models import Membership
from shared_apps.tenants.models import Company
from tenant_apps.crm.demo import load
from tenant_apps.crm.demo.generate import SIZES


class Command(BaseCommand):
    help = "Load demo CRM data (organizations, contacts, deals, activities) into a company."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", required=True, help="The company's subdomain.")
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")
        group = parser.add_mutually_exclusive_group()
        group.add_argument(
            "--replace", action="store_true", help="Delete the company's CRM data first."
        )
        group.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (successfully) when the company already has CRM data.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subdomain = options["company"]
        company = Company.objects.filter(subdomain=subdomain).first()
        if company is None:
            raise CommandError(f"There is no company with the subdomain {subdomain!r}.")
        members = list(
            Membership.objects.filter(company=company)
            .order_by("user_id")
            .values_list("user_id", flat=True)
        )
        with schema_context(company.schema_name):
            if load.has_crm_data():
                if options["if_empty"]:
                    self.stdout.write(f"{subdomain}: already has CRM data; not seeding.")
                    return
                if not options["replace"]:
                    raise CommandError(
                        f"{subdomain} already has CRM data. Use --replace to delete it and "
                        "load the demo data instead."
                    )
            try:
                with transaction.atomic():
                    if options["replace"]:
                        load.crm_data_wipe()
                    report = load.seed(
                        size=SIZES[options["size"]], seed=options["seed"], members=members
                    )
            except load.NoPipeline as exc:
                raise CommandError(f"{subdomain} has no default pipeline.") from exc
            load.tables_tidy()  # VACUUM, now that the rows are committed
        counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {subdomain} in {report.seconds:.1f}s: {counts}.")
        )
