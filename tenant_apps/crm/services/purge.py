"""Deleted records past the restore window are removed for good.

A soft-deleted organization, contact or deal can be restored for `RESTORE_WINDOW` (30 days).
After that a daily task deletes it: activities and notes that are also linked to a record
that still exists lose only the link to the purged one; those linked to nothing else go with
it. Each purge leaves an audit row (no actor: the system did it), and the audit history of
the record stays.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tenant_apps.crm.models import Activity, Contact, Deal, Note, Organization
from tenant_apps.crm.models.base import RecordModel
from tenant_apps.crm.services.common import RESTORE_WINDOW, json_value
from tenant_apps.history.services import audit_record

# Deals first: a purged organization's or contact's deals may themselves be due.
PURGED: list[tuple[type[RecordModel], str, str]] = [
    (Deal, "deal", "crm.deal.purged"),
    (Contact, "contact", "crm.contact.purged"),
    (Organization, "organization", "crm.organization.purged"),
]
LINKS = ("organization", "contact", "deal")


def _unlink_shared(link: str, ids: list[int]) -> None:
    """Activities and notes linked to a purged record *and* to another one keep living."""
    others = Q()
    for other in LINKS:
        if other != link:
            others |= Q(**{f"{other}__isnull": False})
    for model in (Activity, Note):
        model.objects.filter(Q(**{f"{link}_id__in": ids}) & others).update(**{link: None})


@transaction.atomic
def deleted_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Remove the records of the current company deleted more than 30 days ago; returns how
    many records went."""
    cutoff = (now or timezone.now()) - RESTORE_WINDOW
    purged = 0
    for model, link, action in PURGED:
        due = list(
            model._default_manager.select_for_update().filter(deleted_at__lt=cutoff).order_by("pk")
        )
        if not due:
            continue
        ids = [record.pk for record in due]
        _unlink_shared(link, ids)
        for record in due:
            audit_record(
                actor=None,
                action=action,
                target=record,
                changes={"deleted_at": [json_value(record.deleted_at), None]},
            )
        model._default_manager.filter(pk__in=ids).delete()
        purged += len(ids)
    return purged
