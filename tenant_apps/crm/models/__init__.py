from tenant_apps.crm.models.activities import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    CallOutcome,
    EmailDirection,
    Note,
)
from tenant_apps.crm.models.contacts import Contact, ContactEmail, ContactPhone, LifecycleStage
from tenant_apps.crm.models.custom_fields import CustomField, CustomFieldEntity, CustomFieldType
from tenant_apps.crm.models.deals import Deal, DealStatus, LostReason
from tenant_apps.crm.models.notifications import Notification
from tenant_apps.crm.models.organizations import Organization, OrganizationSize
from tenant_apps.crm.models.pipelines import Pipeline, Stage
from tenant_apps.crm.models.saved_views import SavedView, SavedViewEntity
from tenant_apps.crm.models.tags import Tag

__all__ = [
    "Activity",
    "ActivityKind",
    "ActivityParticipant",
    "CallOutcome",
    "Contact",
    "ContactEmail",
    "ContactPhone",
    "CustomField",
    "CustomFieldEntity",
    "CustomFieldType",
    "Deal",
    "DealStatus",
    "EmailDirection",
    "LifecycleStage",
    "LostReason",
    "Note",
    "Notification",
    "Organization",
    "OrganizationSize",
    "Pipeline",
    "SavedView",
    "SavedViewEntity",
    "Stage",
    "Tag",
]
