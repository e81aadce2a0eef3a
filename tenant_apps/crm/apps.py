from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "tenant_apps.crm"
    label = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        from shared_apps.tenants import hooks
        from tenant_apps.crm.final_export import final_export_link
        from tenant_apps.crm.provisioning import default_pipeline_create

        # The public side's company-schema work (shared_apps/tenants/hooks.py): a new
        # company's default pipeline, the plan's contact count, and the link billing emails
        # before a canceled company's data is deleted.
        hooks.company_provisioned.register(default_pipeline_create)
        hooks.contacts_count.register(live_contacts_count)
        hooks.final_export_link.register(final_export_link)
        import tenant_apps.crm.dashboard  # noqa: F401  (its receivers drop stale dashboard numbers)


def live_contacts_count() -> int:
    """The plan's contact limit counts live contacts (the bin does not count)."""
    from tenant_apps.crm.models import Contact

    return Contact.objects.filter(deleted_at__isnull=True).count()
