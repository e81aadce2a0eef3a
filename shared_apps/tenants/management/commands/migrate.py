"""`migrate` is `migrate_schemas` (test database creation calls `migrate`)."""

from shared_apps.tenants.management.commands.migrate_schemas import Command

__all__ = ["Command"]
