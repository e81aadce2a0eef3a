from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "shared_apps.tenants"
    label = "tenants"
    verbose_name = _("Companies")

    def ready(self) -> None:
        from django.core import checks

        from shared_apps.tenants import signals  # noqa: F401
        from shared_apps.tenants.hooks import hooks_check

        checks.register(hooks_check)
