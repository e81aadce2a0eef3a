"""The three record types the screens handle, with their forms, services and readers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.selectors import contact_list, deal_list, organization_list
from tenant_apps.crm.services import contacts, deals, organizations
from tenant_apps.crm.services import merge as merge_services
from tenant_apps.crm.validators import number_input
from tenant_apps.crm.web.records.forms import ContactForm, DealForm, OrganizationForm, RecordForm

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


@dataclass(frozen=True)
class Kind:
    name: str
    model: type[RecordModel]
    form: type[RecordForm]
    reader: Callable[..., QuerySet[Any]]
    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    restore: Callable[..., Any]
    merge: Callable[..., Any] | None
    title_new: Promise
    title_bin: Promise

    def url(self, action: str) -> str:
        return f"crm:{self.name}_{action}"

    # URL names for templates ({% url kind.detail_url record.pk %}).
    @property
    def create_url(self) -> str:
        return self.url("create")

    @property
    def detail_url(self) -> str:
        return self.url("detail")

    @property
    def edit_url(self) -> str:
        return self.url("edit")

    @property
    def delete_url(self) -> str:
        return self.url("delete")

    @property
    def restore_url(self) -> str:
        return self.url("restore")

    @property
    def bin_url(self) -> str:
        return self.url("bin")

    @property
    def merge_url(self) -> str:
        return self.url("merge")

    @property
    def mergeable(self) -> bool:
        # for templates: they would call `merge` itself (a function) and get nothing
        return self.merge is not None

    @property
    def task_add_url(self) -> str:
        return self.url("task_add")

    @property
    def note_add_url(self) -> str:
        return self.url("note_add")

    def get(self, *, actor: User, pk: int) -> Any:
        """The record, live or in the bin, or None."""
        found = self.reader(actor=actor).filter(pk=pk).first()
        if found is None:
            found = self.reader(actor=actor, deleted=True).filter(pk=pk).first()
        return found


def _contact_reader(*, actor: User, deleted: bool = False) -> QuerySet[Contact]:
    return contact_list(actor=actor, deleted=deleted).prefetch_related(
        Prefetch(
            "deals",
            queryset=Deal.objects.filter(deleted_at__isnull=True).select_related(
                "stage", "pipeline"
            ),
            to_attr="live_deals",
        )
    )


def _deal_reader(*, actor: User, deleted: bool = False) -> QuerySet[Deal]:
    return deal_list(actor=actor, deleted=deleted).prefetch_related(
        Prefetch(
            "contacts",
            queryset=Contact.objects.filter(deleted_at__isnull=True),
            to_attr="live_contacts",
        )
    )


KINDS: dict[str, Kind] = {
    "organization": Kind(
        name="organization",
        model=Organization,
        form=OrganizationForm,
        reader=organization_list,
        create=organizations.organization_create,
        update=organizations.organization_update,
        delete=organizations.organization_delete,
        restore=organizations.organization_restore,
        merge=merge_services.organization_merge,
        title_new=_("New organization"),
        title_bin=_("Recently deleted organizations"),
    ),
    "contact": Kind(
        name="contact",
        model=Contact,
        form=ContactForm,
        reader=_contact_reader,
        create=contacts.contact_create,
        update=contacts.contact_update,
        delete=contacts.contact_delete,
        restore=contacts.contact_restore,
        merge=merge_services.contact_merge,
        title_new=_("New contact"),
        title_bin=_("Recently deleted contacts"),
    ),
    "deal": Kind(
        name="deal",
        model=Deal,
        form=DealForm,
        reader=_deal_reader,
        create=deals.deal_create,
        update=deals.deal_update,
        delete=deals.deal_delete,
        restore=deals.deal_restore,
        merge=None,
        title_new=_("New deal"),
        title_bin=_("Recently deleted deals"),
    ),
}


def initial_values(record: RecordModel) -> dict[str, Any]:
    """The edit form's starting values for `record`."""
    values: dict[str, Any] = {"version": record.version, "owner": record.owner_id or ""}
    for key, value in (record.custom_fields or {}).items():
        # numbers as the language writes them, so that saving again reads the same number
        number = isinstance(value, int | float) and not isinstance(value, bool)
        values[f"cf_{key}"] = number_input(value) if number else value
    if isinstance(record, Contact):
        values.update(
            first_name=record.first_name,
            last_name=record.last_name,
            job_title=record.job_title,
            organization=record.organization_id,
            lifecycle_stage=record.lifecycle_stage,
            source=record.source,
            do_not_contact=record.do_not_contact,
            primary_email=0,
        )
        for n, email in enumerate(record.emails.all()):
            values[f"email_{n}"] = email.email
        for n, phone in enumerate(record.phones.all()):
            values[f"phone_{n}"] = phone.number
            values[f"phone_label_{n}"] = phone.label
    elif isinstance(record, Organization):
        for name in OrganizationForm.TEXT:
            values[name] = getattr(record, name)
    elif isinstance(record, Deal):
        values.update(
            name=record.name,
            pipeline=record.pipeline_id,
            stage=record.stage_id,
            organization=record.organization_id,
            contacts=[c.pk for c in record.contacts.all()],
            amount=number_input(record.amount),
            currency=record.currency,
            expected_close_date=(
                record.expected_close_date.isoformat() if record.expected_close_date else ""
            ),
            status=record.status,
            lost_reason=record.lost_reason,
            lost_reason_choice=record.lost_reason_choice_id,
        )
    return values
