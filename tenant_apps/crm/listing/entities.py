"""The four lists: their rows, columns, filters, default sort and links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import F, Model, QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm import selectors
from tenant_apps.crm.listing import columns as c
from tenant_apps.crm.listing import filters as f
from tenant_apps.crm.listing import selectors as list_selectors
from tenant_apps.crm.listing.columns import Column
from tenant_apps.crm.listing.filters import Filter
from tenant_apps.crm.models import (
    Activity,
    ActivityKind,
    Contact,
    ContactEmail,
    ContactPhone,
    CustomField,
    CustomFieldType,
    Deal,
    DealStatus,
    LifecycleStage,
    Organization,
    OrganizationSize,
    Pipeline,
    SavedViewEntity,
    Stage,
    Tag,
)
from tenant_apps.crm.money import money_format

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

BULK_OWNER, BULK_TAG_ADD, BULK_TAG_REMOVE, BULK_DELETE = "owner", "tag_add", "tag_remove", "delete"


@dataclass(frozen=True)
class ListSpec:
    entity: str  # a SavedViewEntity value
    model: type[Model]
    title: Any
    url_name: str
    export_url_name: str
    create_url_name: str | None
    rows: Callable[[User], QuerySet[Any]]
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...]
    default_sort: str
    link: Callable[[Any], str | None]
    custom_entity: str | None = None  # CustomFieldEntity value
    bulk_actions: tuple[str, ...] = ()
    people_filters: tuple[str, ...] = ("owner",)

    def custom_fields(self) -> list[CustomField]:
        if self.custom_entity is None:
            return []
        return list(CustomField.objects.filter(entity=self.custom_entity))


_MARKER = 987654321


@lru_cache(maxsize=64)
def _pattern(name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, urlconf=urlconf, kwargs={"pk": _MARKER})


def _detail(name: str) -> Callable[[Any], str]:
    """The record's page: reversed once (with a marker pk), not once per row."""

    def link(obj: Any) -> str:
        pattern = _pattern(name, get_urlconf(), get_script_prefix())
        return pattern.replace(str(_MARKER), str(obj.pk))

    return link


def _activity_link(activity: Activity) -> str | None:
    """Activities have no page of their own: the record they are about."""
    if activity.deal_id:
        return reverse("crm:deal_detail", kwargs={"pk": activity.deal_id})
    if activity.contact_id:
        return reverse("crm:contact_detail", kwargs={"pk": activity.contact_id})
    if activity.organization_id:
        return reverse("crm:organization_detail", kwargs={"pk": activity.organization_id})
    return None


def _record_filters(model: type[Model]) -> tuple[Filter, ...]:
    """Owner, tags (when the model has them), created and updated."""
    through = getattr(model, "tags", None)
    tags: tuple[Filter, ...] = ()
    if through is not None:
        own = f"{model._meta.model_name}_id"
        tags = (f.Related("tag", _("Tags"), model=Tag, through=(through.through, own, "tag_id")),)
    return (
        f.People("owner", _("Owner"), lookup="owner_id"),
        *tags,
        f.DateRange("created", _("Created"), lookup="created_at"),
        f.DateRange("updated", _("Updated"), lookup="updated_at"),
    )


def _stamps() -> tuple[Column, ...]:
    return (
        Column("created_at", _("Created"), c.attr("created_at"), c.plain("created_at"), False),
        Column("updated_at", _("Updated"), c.attr("updated_at"), c.plain("updated_at"), False),
    )


_ORG_LINK = _detail("crm:organization_detail")

ORGANIZATIONS = ListSpec(
    entity=SavedViewEntity.ORGANIZATION,
    model=Organization,
    title=_("Organizations"),
    url_name="crm:organization_list",
    export_url_name="crm:organization_export",
    create_url_name="crm:organization_create",
    rows=lambda actor: selectors.organization_list(actor=actor),
    columns=(
        Column("name", _("Name"), c.attr("name"), c.lower("name")),
        Column("domain", _("Domain"), c.attr("domain"), c.plain("domain")),
        Column("email", _("Email"), c.attr("email"), c.lower("email"), False),
        Column("phone", _("Phone"), c.attr("phone"), c.plain("phone"), False),
        Column("city", _("City"), c.attr("city"), c.lower("city")),
        Column("country", _("Country"), c.attr("country"), c.plain("country"), False),
        Column("industry", _("Industry"), c.attr("industry"), c.lower("industry")),
        Column("size", _("Size"), c.display("size"), c.plain("size"), False),
        Column("vat_number", _("VAT / registry number"), c.attr("vat_number"), None, False),
        Column("owner", _("Owner"), c.person("owner"), c.people_sort("owner")),
        Column("tags", _("Tags"), c.tag_names),
        *_stamps(),
    ),
    filters=(
        f.QuickText("q", _("Search")),
        f.Text("name", _("Name"), lookup="name"),
        f.Text("domain", _("Domain"), lookup="domain"),
        f.Text("email", _("Email"), lookup="email"),
        f.Text("phone", _("Phone"), lookup="phone"),
        f.Text("street", _("Street"), lookup="street"),
        f.Text("postcode", _("Postcode"), lookup="postcode"),
        f.Text("city", _("City"), lookup="city"),
        f.Text("country", _("Country"), lookup="country"),
        f.Text("industry", _("Industry"), lookup="industry"),
        f.Text("vat_number", _("VAT / registry number"), lookup="vat_number"),
        f.Choice("size", _("Size"), lookup="size", choices=OrganizationSize.choices),
        *_record_filters(Organization),
    ),
    default_sort="name",
    link=_ORG_LINK,
    custom_entity="organization",
    bulk_actions=(BULK_OWNER, BULK_TAG_ADD, BULK_TAG_REMOVE, BULK_DELETE),
)

CONTACTS = ListSpec(
    entity=SavedViewEntity.CONTACT,
    model=Contact,
    title=_("Contacts"),
    url_name="crm:contact_list",
    export_url_name="crm:contact_export",
    create_url_name="crm:contact_create",
    rows=lambda actor: list_selectors.contact_rows(actor=actor),
    columns=(
        Column("name", _("Name"), lambda o: str(o), c.lower("last_name")),
        Column("first_name", _("First name"), c.attr("first_name"), c.lower("first_name"), False),
        Column("last_name", _("Last name"), c.attr("last_name"), c.lower("last_name"), False),
        Column("job_title", _("Job title"), c.attr("job_title"), c.lower("job_title")),
        Column(
            "organization",
            _("Organization"),
            c.attr("organization.name"),
            c.lower("organization__name"),
        ),
        # the contact's copies of its primary email and first phone (crm.contact_points)
        Column("email", _("Email"), c.attr("primary_email"), c.plain("primary_email")),
        Column("phone", _("Phone"), c.attr("primary_phone"), c.plain("primary_phone"), False),
        Column(
            "lifecycle_stage",
            _("Lifecycle stage"),
            c.display("lifecycle_stage"),
            c.plain("lifecycle_stage"),
        ),
        Column("source", _("Source"), c.attr("source"), c.lower("source"), False),
        Column(
            "do_not_contact",
            _("Do not contact"),
            c.attr("do_not_contact"),
            c.plain("do_not_contact"),
            False,
        ),
        Column("owner", _("Owner"), c.person("owner"), c.people_sort("owner")),
        Column("tags", _("Tags"), c.tag_names),
        *_stamps(),
    ),
    filters=(
        f.QuickText("q", _("Search")),
        f.Text("first_name", _("First name"), lookup="first_name"),
        f.Text("last_name", _("Last name"), lookup="last_name"),
        f.Text("job_title", _("Job title"), lookup="job_title"),
        f.RelatedText("email", _("Email"), lookup="email", through=(ContactEmail, "contact_id")),
        f.RelatedText("phone", _("Phone"), lookup="number", through=(ContactPhone, "contact_id")),
        f.Text("organization_name", _("Organization"), lookup="organization__name"),
        f.Related(
            "organization",
            _("Organization"),
            lookup="organization_id",
            model=Organization,
            live_only=True,
            widget="hidden",
        ),
        f.Choice(
            "lifecycle_stage",
            _("Lifecycle stage"),
            lookup="lifecycle_stage",
            choices=LifecycleStage.choices,
        ),
        f.Text("source", _("Source"), lookup="source"),
        f.Flag("do_not_contact", _("Do not contact"), lookup="do_not_contact"),
        *_record_filters(Contact),
    ),
    default_sort="name",
    link=_detail("crm:contact_detail"),
    custom_entity="contact",
    bulk_actions=(BULK_OWNER, BULK_TAG_ADD, BULK_TAG_REMOVE, BULK_DELETE),
)

DEALS = ListSpec(
    entity=SavedViewEntity.DEAL,
    model=Deal,
    title=_("Deals"),
    url_name="crm:deal_list",
    export_url_name="crm:deal_export",
    create_url_name="crm:deal_create",
    rows=lambda actor: selectors.deal_list(actor=actor),
    columns=(
        Column("name", _("Name"), c.attr("name"), c.lower("name")),
        Column(
            "amount",
            _("Amount"),
            lambda deal: money_format(deal.amount, deal.currency),
            c.plain("amount"),
            numeric=True,
            group=lambda: F("currency"),
        ),
        Column("currency", _("Currency"), c.attr("currency"), c.plain("currency"), False),
        Column(
            "organization",
            _("Organization"),
            c.attr("organization.name"),
            c.lower("organization__name"),
        ),
        Column(
            "pipeline", _("Pipeline"), c.attr("pipeline.name"), c.lower("pipeline__name"), False
        ),
        Column("stage", _("Stage"), c.attr("stage.name"), c.plain("stage__position")),
        Column("status", _("Status"), c.display("status"), c.plain("status")),
        Column(
            "expected_close_date",
            _("Expected close date"),
            c.attr("expected_close_date"),
            c.plain("expected_close_date"),
        ),
        Column(
            "last_activity_at",
            _("Last activity"),
            c.attr("last_activity_at"),
            c.plain("last_activity_at"),
            False,
        ),
        Column("owner", _("Owner"), c.person("owner"), c.people_sort("owner")),
        *_stamps(),
    ),
    filters=(
        f.QuickText("q", _("Search")),
        f.Text("name", _("Name"), lookup="name"),
        f.MoneyRange("amount", _("Amount"), lookup="amount"),
        f.Related("pipeline", _("Pipeline"), lookup="pipeline_id", model=Pipeline),
        f.Related("stage", _("Stage"), lookup="stage_id", model=Stage),
        f.Choice("status", _("Status"), lookup="status", choices=DealStatus.choices),
        f.Text("organization_name", _("Organization"), lookup="organization__name"),
        f.Related(
            "organization",
            _("Organization"),
            lookup="organization_id",
            model=Organization,
            live_only=True,
            widget="hidden",
        ),
        f.Text("currency", _("Currency"), lookup="currency"),
        f.DateRange("close", _("Expected close date"), lookup="expected_close_date", kind="date"),
        f.DateRange("activity", _("Last activity"), lookup="last_activity_at"),
        f.Text("lost_reason", _("Lost reason"), lookup="lost_reason"),
        *_record_filters(Deal),
    ),
    default_sort="-created_at",
    link=_detail("crm:deal_detail"),
    custom_entity="deal",
    bulk_actions=(BULK_OWNER, BULK_DELETE),
)

ACTIVITIES = ListSpec(
    entity=SavedViewEntity.ACTIVITY,
    model=Activity,
    title=_("Activities"),
    url_name="crm:activity_list",
    export_url_name="crm:activity_export",
    create_url_name="crm:activity_create",
    rows=lambda actor: list_selectors.activity_list(actor=actor),
    columns=(
        Column("subject", _("Subject"), c.attr("subject"), c.lower("subject")),
        Column("kind", _("Kind"), c.display("kind"), c.plain("kind")),
        Column("due_at", _("Due"), c.attr("due_at"), c.plain("due_at")),
        Column("done", _("Done"), c.attr("done"), c.plain("done")),
        Column("assignee", _("Assignee"), c.person("assignee"), c.people_sort("assignee")),
        Column(
            "organization",
            _("Organization"),
            c.attr("organization.name"),
            c.lower("organization__name"),
        ),
        Column("contact", _("Contact"), c.attr("contact"), c.lower("contact__last_name")),
        Column("deal", _("Deal"), c.attr("deal.name"), c.lower("deal__name")),
        *_stamps(),
    ),
    filters=(
        f.QuickText("q", _("Search"), lookup="subject", normalise=False),
        f.Choice("kind", _("Kind"), lookup="kind", choices=ActivityKind.choices),
        f.Flag("done", _("Done"), lookup="done"),
        f.People("assignee", _("Assignee"), lookup="assignee_id"),
        f.DateRange("due", _("Due"), lookup="due_at"),
        f.Related(
            "organization",
            _("Organization"),
            lookup="organization_id",
            model=Organization,
            widget="hidden",
        ),
        f.Related("contact", _("Contact"), lookup="contact_id", model=Contact, widget="hidden"),
        f.Related("deal", _("Deal"), lookup="deal_id", model=Deal, widget="hidden"),
        f.DateRange("created", _("Created"), lookup="created_at"),
        f.DateRange("updated", _("Updated"), lookup="updated_at"),
    ),
    default_sort="-due_at",
    link=_activity_link,
    people_filters=("assignee",),
)

SPECS: dict[str, ListSpec] = {s.entity: s for s in (ORGANIZATIONS, CONTACTS, DEALS, ACTIVITIES)}


def custom_filters(definitions: Sequence[CustomField]) -> list[Filter]:
    """One filter per custom field, by its type; named `cf_<key>` in the query string."""
    result: list[Filter] = []
    for d in definitions:
        name, lookup = f"cf_{d.key}", f"custom_fields__{d.key}"
        kind = d.type
        if kind in (CustomFieldType.TEXT, CustomFieldType.URL):
            result.append(f.Text(name, d.label, lookup=lookup))
        elif kind == CustomFieldType.NUMBER:
            result.append(f.NumberRange(name, d.label, lookup=lookup, json=True))
        elif kind == CustomFieldType.DATE:
            result.append(f.DateRange(name, d.label, lookup=lookup, kind="isodate"))
        elif kind == CustomFieldType.CHOICE:
            choices = [(str(v), str(v)) for v in d.choices or []]
            result.append(f.Choice(name, d.label, lookup=lookup, choices=choices))
        elif kind == CustomFieldType.MULTI:
            choices = [(str(v), str(v)) for v in d.choices or []]
            result.append(f.MultiChoice(name, d.label, lookup=lookup, choices=choices))
        elif kind == CustomFieldType.BOOL:
            result.append(f.Flag(name, d.label, lookup=lookup, missing_is_no=True))
    return result
