"""pg_trgm in the public schema, on every company's search path: CRM search builds trigram
indexes on each company's records. A trusted extension since PostgreSQL 13, so a database
owner without superuser rights can create it."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_company_require_mfa")]

    operations = [TrigramExtension()]
