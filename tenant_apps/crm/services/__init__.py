"""CRM writes. Every service is keyword-only, atomic, checks the actor's role with
`crm_access` and leaves an `AuditEvent` with the changed fields (old → new)."""

from tenant_apps.crm.services.activities import activity_create, activity_mark_done
from tenant_apps.crm.services.contacts import (
    contact_create,
    contact_delete,
    contact_restore,
    contact_update,
)
from tenant_apps.crm.services.custom_fields import custom_field_create
from tenant_apps.crm.services.deals import (
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_restore,
    deal_update,
)
from tenant_apps.crm.services.notes import note_create
from tenant_apps.crm.services.organizations import (
    organization_create,
    organization_delete,
    organization_restore,
    organization_update,
)
from tenant_apps.crm.services.pipelines import pipeline_create, stage_create
from tenant_apps.crm.services.tags import tag_add, tag_remove

__all__ = [
    "activity_create",
    "activity_mark_done",
    "contact_create",
    "contact_delete",
    "contact_restore",
    "contact_update",
    "custom_field_create",
    "deal_create",
    "deal_delete",
    "deal_move_stage",
    "deal_restore",
    "deal_update",
    "note_create",
    "organization_create",
    "organization_delete",
    "organization_restore",
    "organization_update",
    "pipeline_create",
    "stage_create",
    "tag_add",
    "tag_remove",
]
