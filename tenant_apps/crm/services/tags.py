"""Tags on organizations and contacts. Adding a name that does not exist yet creates the tag
(names are unique whatever their case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Organization, Tag
from tenant_apps.crm.services.common import fields_assign, full_clean, record_audit, validate_all

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

Taggable = Organization | Contact
DEFAULT_COLOR = "#6b7280"


def _tag_get_or_create(*, name: str, actor: User) -> Tag:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter a tag name.")})
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is None:
        tag = Tag(name=name)
        full_clean(tag)
        tag.save()
        record_audit(
            actor=actor, action="crm.tag.created", target=tag, changes={"name": [None, name]}
        )
    return tag


@transaction.atomic
def tag_add(*, target: Taggable, name: str, actor: User) -> Tag:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    tag = _tag_get_or_create(name=name, actor=actor)
    if not target.tags.filter(pk=tag.pk).exists():
        target.tags.add(tag)
        record_audit(
            actor=actor,
            action=f"crm.{target._meta.model_name}.tag_added",
            target=target,
            changes={"tags": [None, tag.name]},
        )
    return tag


@transaction.atomic
def tag_remove(*, target: Taggable, tag: Tag, actor: User) -> None:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    if target.tags.filter(pk=tag.pk).exists():
        target.tags.remove(tag)
        record_audit(
            actor=actor,
            action=f"crm.{target._meta.model_name}.tag_removed",
            target=target,
            changes={"tags": [tag.name, None]},
        )


def _name_clean(name: str) -> str:
    return " ".join(name.split())


def _tag_check(tag: Tag) -> None:
    """Field errors for name and colour, the case-insensitive name clash as a name error."""

    def name_free() -> None:
        if tag.name and Tag.objects.filter(name__iexact=tag.name).exclude(pk=tag.pk).exists():
            raise ValidationError({"name": _("A tag with this name already exists.")})

    validate_all(name_free, lambda: tag.full_clean(validate_constraints=False))


@transaction.atomic
def tag_create(*, actor: User, name: str, color: str = DEFAULT_COLOR) -> Tag:
    """A tag from the settings page (`tag_add` also creates tags on the fly)."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    tag = Tag(name=_name_clean(name), color=color.strip().lower())
    _tag_check(tag)
    tag.save()
    record_audit(
        actor=actor,
        action="crm.tag.created",
        target=tag,
        changes={"name": [None, tag.name], "color": [None, tag.color]},
    )
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, actor: User, name: str, color: str) -> Tag:
    """Rename or recolour a tag."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = Tag.objects.select_for_update().get(pk=tag.pk)
    diff = fields_assign(
        current,
        {"name": _name_clean(name), "color": color.strip().lower()},
        allowed=["name", "color"],
    )
    _tag_check(current)
    if diff:
        current.save()
        record_audit(actor=actor, action="crm.tag.updated", target=current, changes=diff)
    return current


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User) -> None:
    """Delete a tag; it comes off every organization and contact that had it."""
    crm_access(actor=actor, action=Action.CRM_CONFIGURE)
    current = Tag.objects.select_for_update().get(pk=tag.pk)
    organizations = current.organizations.count()
    contacts = current.contacts.count()
    record_audit(
        actor=actor,
        action="crm.tag.deleted",
        target=current,
        changes={
            "name": [current.name, None],
            "color": [current.color, None],
            "organizations": [organizations, 0],
            "contacts": [contacts, 0],
        },
    )
    current.delete()
