"""The final export of a canceled company: every CRM record as CSV files in one ZIP.

Billing (shared_apps/billing/retention.py) emails the link before it deletes a canceled
company; this module gives it the link (`final_export_link`, registered from
CrmConfig.ready) and builds the file. The link is signed for one company and expires when
the data goes; the page that serves it (web/final_export) also requires an owner or admin.

CSV as the list export writes it: UTF-8 with a byte order mark, formula-looking cells
prefixed with `'`. Records point at each other by uuid, people by email; soft-deleted
records are included with their `deleted_at`.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from tempfile import SpooledTemporaryFile
from typing import IO, Any

from django.contrib.postgres.aggregates import StringAgg
from django.core import signing
from django.db.models import Model, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from shared_apps.tenants.models import Company
from tenant_apps.crm.listing.export import cell_safe
from tenant_apps.crm.models import (
    Activity,
    Contact,
    ContactEmail,
    ContactPhone,
    Deal,
    Note,
    Organization,
)
from tenant_apps.crm.services.notifications import company_origin

SALT = "crm.final_export"
TENANT_URLCONF = "saas.urls_tenant"
# Internal columns: database ids, the search index, optimistic-lock counters, reminders, a
# contact's copies of its primary email and phone (contact_emails/phones.csv hold them).
SKIPPED = frozenset(
    {"id", "search_text", "version", "reminder_sent_at", "primary_email", "primary_phone"}
)
RECORDS = (Organization, Contact, Deal)
IN_MEMORY_BYTES = 16 * 1024 * 1024  # larger exports spill to a temporary file
CHUNK = 2_000


class ExportLinkInvalid(Exception):
    """The link is forged, for another company, or expired (`expired` tells which)."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


# --- The link --------------------------------------------------------------------------------


def final_export_link(*, company: Company, expires_at: datetime) -> str:
    """An absolute URL on the company's host that downloads the export until `expires_at`."""
    token = signing.dumps({"c": company.pk, "e": int(expires_at.timestamp())}, salt=SALT)
    path = reverse("crm:final_export", args=[token], urlconf=TENANT_URLCONF)
    return f"{company_origin(company.subdomain)}{path}"


def final_export_token_check(token: str, *, company: Company, now: datetime | None = None) -> None:
    """Raise ExportLinkInvalid unless `token` was made for `company` and has not expired."""
    try:
        data = signing.loads(token, salt=SALT)
        company_id, expires = int(data["c"]), int(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ExportLinkInvalid() from exc
    if company_id != company.pk:
        raise ExportLinkInvalid()
    if (now or timezone.now()).timestamp() >= expires:
        raise ExportLinkInvalid(expired=True)


# --- The file --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    name: str
    headers: list[str]
    rows: Iterable[tuple[Any, ...]]


def _columns(model: type[Model]) -> tuple[list[str], list[str]]:
    """(headers, lookups): each concrete field; relations as the other record's uuid, a
    person's email, or a pipeline's or stage's name."""
    headers, lookups = [], []
    for field in model._meta.concrete_fields:
        if field.name in SKIPPED:
            continue
        related = field.related_model
        if related is None or isinstance(related, str):
            headers.append(field.name)
            lookups.append(field.name)
        elif related in RECORDS:
            headers.append(f"{field.name}_uuid")
            lookups.append(f"{field.name}__uuid")
        elif any(f.name == "email" for f in related._meta.concrete_fields):
            headers.append(f"{field.name}_email")
            lookups.append(f"{field.name}__email")
        else:
            headers.append(field.name)
            lookups.append(f"{field.name}__name")
    return headers, lookups


def _sheet(name: str, model: type[Model], **lists: Any) -> Sheet:
    headers, lookups = _columns(model)
    qs = model._default_manager.order_by("created_at", "pk")
    # aliased apart from the model's own names (`tags` is the many-to-many field)
    aliased = {f"export_{key}": value for key, value in lists.items()}
    if aliased:
        qs = qs.annotate(**aliased)
    return Sheet(
        name=name,
        headers=[*headers, *lists],
        rows=qs.values_list(*lookups, *aliased).iterator(chunk_size=CHUNK),
    )


def _joined(lookup: str) -> StringAgg:
    return StringAgg(Cast(lookup, TextField()), delimiter="; ", distinct=True, default="")


def final_export_sheets() -> list[Sheet]:
    """The current company's CRM data, one sheet per file."""
    return [
        _sheet("organizations.csv", Organization, tags=_joined("tags__name")),
        _sheet("contacts.csv", Contact, tags=_joined("tags__name")),
        _sheet("contact_emails.csv", ContactEmail),
        _sheet("contact_phones.csv", ContactPhone),
        _sheet("deals.csv", Deal, contact_uuids=_joined("contacts__uuid")),
        _sheet(
            "activities.csv",
            Activity,
            participant_contact_uuids=_joined("participants__contact__uuid"),
            participant_emails=_joined("participants__user__email"),
        ),
        _sheet("notes.csv", Note),
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):  # datetimes too: aware, so with their UTC offset
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _lines(sheet: Sheet) -> Iterator[list[str]]:
    yield sheet.headers
    for row in sheet.rows:
        yield [cell_safe(_text(value)) for value in row]


def final_export_zip() -> IO[bytes]:
    """The ZIP of the current company's sheets, rewound, in memory or a temporary file."""
    out: IO[bytes] = SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sheet in final_export_sheets():
            with (
                archive.open(sheet.name, "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text,
            ):
                csv.writer(text).writerows(_lines(sheet))
    out.seek(0)
    return out
