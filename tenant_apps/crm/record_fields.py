"""The fields a service writes on each kind of record, typed, in one place.

Create and update take them as keyword arguments (`**fields: Unpack[OrganizationFields]`):
mypy checks names and types at every call, and the names below (the one list per kind that
`fields_assign` allows and the merge plan offers) are derived from these classes, not
copied. What a create requires (an organization's name...) is its own parameter; the update
takes it among the optional changes (`OrganizationChanges`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from tenant_apps.crm.models import LostReason, Organization, Pipeline, Stage


class OrganizationFields(TypedDict, total=False):
    website: str
    domain: str  # derived from the website when not given
    phone: str
    email: str
    street: str
    city: str
    postcode: str
    country: str
    industry: str
    size: str
    vat_number: str
    owner: User | None
    custom_fields: dict[str, Any] | None


class OrganizationChanges(OrganizationFields, total=False):
    name: str


class ContactFields(TypedDict, total=False):
    first_name: str
    job_title: str
    organization: Organization | None
    owner: User | None
    lifecycle_stage: str
    source: str
    do_not_contact: bool
    custom_fields: dict[str, Any] | None


class ContactChanges(ContactFields, total=False):
    last_name: str


class DealFields(TypedDict, total=False):
    amount: Decimal | int | float | str | None  # text as typed in the active language
    currency: str
    organization: Organization | None
    owner: User | None
    expected_close_date: datetime.date | str | None
    lost_reason: str
    lost_reason_choice: LostReason | None
    status: str
    custom_fields: dict[str, Any] | None


class DealChanges(DealFields, total=False):
    name: str
    pipeline: Pipeline
    stage: Stage | None


def _names(fields: type, *, first: tuple[str, ...] = ()) -> tuple[str, ...]:
    return (*first, *(name for name in fields.__annotations__ if name not in first))


ORGANIZATION_FIELDS = _names(OrganizationChanges, first=("name",))
CONTACT_FIELDS = _names(ContactChanges, first=("first_name", "last_name"))
DEAL_FIELDS = _names(DealChanges, first=("name",))
