from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "shared_apps.tenants"
    label = "tenants"
    verbose_name = _("Companies")

    def ready(self) -> None:
        from shared_apps.tenants import signals  # noqa: F401
