from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        abstract = True


def one_of(field: str, values: Iterable[str], name: str) -> models.CheckConstraint:
    """`field` holds one of `values`. Written as a regular expression rather than `__in`:
    PostgreSQL prints `= ANY (ARRAY[...])` back in a form that re-parses differently, so a
    schema copied from the template's DDL would not match a migrated one."""
    pattern = "^(" + "|".join(re.escape(v) for v in values) + ")$"
    return models.CheckConstraint(condition=models.Q(**{f"{field}__regex": pattern}), name=name)
