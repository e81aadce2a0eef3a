from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from tenant_apps.crm.search_text import search_document


class CrmModel(models.Model):
    """External id and timestamps shared by every CRM table."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def user_reference(verbose_name: Any) -> Any:
    """A user id from the public schema, like `AuditEvent.actor`: no database constraint, so
    deleting a user never cascades into every company schema."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        verbose_name=verbose_name,
    )


class RecordModel(CrmModel):
    """Organizations, contacts and deals: an owner, a version for stale-edit detection,
    custom field values and a soft delete."""

    owner = user_reference(_("owner"))
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    # What search matches (see crm.search_text), kept up to date by `save()`.
    search_text = models.TextField(default="", blank=True, editable=False)

    class Meta:
        abstract = True

    # The record's own columns `search_parts` reads: a save of other columns only
    # (`update_fields`: owner, version, deleted_at...) leaves `search_text` as it is, unless
    # "search_text" is one of them.
    SEARCH_FIELDS: ClassVar[frozenset[str]] = frozenset()

    def save(self, *args: Any, search_refresh: bool = True, **kwargs: Any) -> None:
        """`search_refresh=False`: the caller (a service) has already set `search_text`."""
        update_fields = kwargs.get("update_fields")
        if search_refresh and (
            update_fields is None
            or not self.SEARCH_FIELDS.isdisjoint(update_fields)
            or "search_text" in update_fields
        ):
            self.search_refresh()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_parts(self) -> list[str]:
        """The values the record is found by, most important first."""
        raise NotImplementedError

    def search_refresh(self) -> None:
        self.search_text = search_document(self.search_parts())


def search_indexes(table: str) -> list[models.Index]:
    """Trigram (similarity, substrings) and full-text (words, prefixes) indexes on
    `search_text`. pg_trgm lives in the public schema, on every company's search path."""
    return [
        GinIndex(OpClass("search_text", name="gin_trgm_ops"), name=f"{table}_search_trgm_idx"),
        GinIndex(SearchVector("search_text", config="simple"), name=f"{table}_search_fts_idx"),
    ]


def one_of(field: str, values: Iterable[str], name: str) -> models.CheckConstraint:
    """`field` holds one of `values`. Written as a regular expression rather than `__in`:
    PostgreSQL prints `= ANY (ARRAY[...])` back in a form that re-parses differently, so a
    schema copied from the template's DDL would not match a migrated one."""
    pattern = "^(" + "|".join(re.escape(v) for v in values) + ")$"
    return models.CheckConstraint(condition=models.Q(**{f"{field}__regex": pattern}), name=name)


def list_sort_indexes(
    prefix: str,
    *,
    lower: Iterable[tuple[str, str]] = (),
    plain: Iterable[tuple[str, str]] = (),
    live: bool = True,
) -> list[models.Index]:
    """Indexes of a list's sorts (crm.listing.keyset pages by the sort key, then id), named
    `<prefix>_<short>_idx` from (field, short) pairs: `lower` text sorts by their lowercase
    (the column included, so an offset skip can be an index-only scan), `plain` ones by the
    value; `live`: only rows not in the bin, as the lists show."""
    condition = models.Q(deleted_at__isnull=True) if live else None
    indexes = [
        models.Index(
            Lower(name),
            F("id"),
            include=[name],
            name=f"{prefix}_{short}_idx",
            condition=condition,
        )
        for name, short in lower
    ]
    indexes += [
        models.Index(fields=[name, "id"], name=f"{prefix}_{short}_idx", condition=condition)
        for name, short in plain
    ]
    return indexes
