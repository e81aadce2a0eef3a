"""Django's admin app with the platform's own admin site (saas/admin_site.py) as default:
`admin.site`, and every `@admin.register`, are that site."""

from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "saas.admin_site.PlatformAdminSite"
