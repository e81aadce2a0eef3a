"""Saved list views: a name for a list's filters, sort and columns.

Anyone who can read the CRM may keep private views (they change no company data); sharing a
view with the company needs a role that can create records. A view is renamed or deleted by
its owner; owners and admins may also delete a shared view of someone else. Names are
unique per person and list, whatever their case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action, require
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import SavedView
from tenant_apps.crm.services.common import created_changes, full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

Query = Mapping[str, Sequence[str]]


def _name_clean(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter a name for the view.")}, code="required")
    return name


def _name_unique(*, view: SavedView) -> None:
    clash = SavedView.objects.filter(
        owner_id=view.owner_id, entity=view.entity, name__iexact=view.name
    ).exclude(pk=view.pk)
    if clash.exists():
        raise ValidationError(
            {"name": _("You already have a view with this name.")}, code="duplicate"
        )


def _query_clean(query: Query) -> dict[str, list[str]]:
    if not isinstance(query, Mapping):
        raise ValidationError({"query": _("The view's filters are not valid.")})
    cleaned: dict[str, list[str]] = {}
    for key, values in query.items():
        if not isinstance(key, str) or isinstance(values, str):
            raise ValidationError({"query": _("The view's filters are not valid.")})
        cleaned[key] = [str(v) for v in values]
    return cleaned


@transaction.atomic
def saved_view_create(
    *, actor: User, entity: str, name: str, query: Query, shared: bool = False
) -> SavedView:
    crm_access(actor=actor, action=Action.SAVED_VIEW_SHARE if shared else Action.CRM_VIEW)
    view = SavedView(
        entity=entity, name=_name_clean(name), owner=actor, shared=shared, query=_query_clean(query)
    )
    _name_unique(view=view)
    full_clean(view)
    view.save()
    record_audit(
        actor=actor,
        action="crm.saved_view.created",
        target=view,
        changes=created_changes(view, ["entity", "name", "shared", "query"]),
    )
    return view


@transaction.atomic
def saved_view_rename(*, view: SavedView, actor: User, name: str) -> SavedView:
    membership = crm_access(actor=actor, action=Action.CRM_VIEW)
    current = SavedView.objects.select_for_update().get(pk=view.pk)
    require(membership, Action.SAVED_VIEW_RENAME, current)
    old = current.name
    current.name = _name_clean(name)
    if current.name == old:
        return current
    _name_unique(view=current)
    full_clean(current)
    current.save(update_fields=["name", "updated_at"])
    record_audit(
        actor=actor,
        action="crm.saved_view.renamed",
        target=current,
        changes={"name": [old, current.name]},
    )
    return current


@transaction.atomic
def saved_view_delete(*, view: SavedView, actor: User) -> None:
    membership = crm_access(actor=actor, action=Action.CRM_VIEW)
    current = SavedView.objects.select_for_update().get(pk=view.pk)
    require(membership, Action.SAVED_VIEW_DELETE, current)
    record_audit(
        actor=actor,
        action="crm.saved_view.deleted",
        target=current,
        changes={"name": [current.name, None]},
    )
    current.delete()
