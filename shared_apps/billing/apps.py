from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "shared_apps.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        # dj-stripe webhook receivers (Stripe events -> billing state) and the emails sent
        # on every billing state move connect their signals on import.
        from shared_apps.billing import notify, receivers  # noqa: F401
