from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "tenant_apps.crm"
    label = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from shared_apps.billing.retention import on_final_export_link
        from shared_apps.tenants.hooks import on_company_provisioned
        from tenant_apps.crm.final_export import final_export_link
        from tenant_apps.crm.provisioning import default_pipeline_create

        on_company_provisioned(default_pipeline_create)
        _contacts_counted()
        # The link billing emails before a canceled company's data is deleted.
        on_final_export_link(final_export_link)
        import tenant_apps.crm.dashboard  # noqa: F401  (its receivers drop stale dashboard numbers)


def _contacts_counted() -> None:
    """The plan's contact limit counts live contacts (the bin does not count)."""
    from shared_apps.billing.entitlements import CONTACTS, on_usage_count
    from tenant_apps.crm.models import Contact

    on_usage_count(CONTACTS, lambda: Contact.objects.filter(deleted_at__isnull=True).count())
