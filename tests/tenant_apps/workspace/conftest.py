"""The CRM fixtures (alpha's schema, users with each role) for the dashboard tests."""

from tests.tenant_apps.crm.conftest import admin, in_alpha, member, owner, viewer

__all__ = ["admin", "in_alpha", "member", "owner", "viewer"]
