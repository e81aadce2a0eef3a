"""Tags on organizations and contacts. Adding a name that does not exist yet creates the tag
(names are unique whatever their case)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Organization, Tag
from tenant_apps.crm.services.common import full_clean, record_audit

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

Taggable = Organization | Contact


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
    crm_access(actor=actor, action="edit")
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
    crm_access(actor=actor, action="edit")
    if target.tags.filter(pk=tag.pk).exists():
        target.tags.remove(tag)
        record_audit(
            actor=actor,
            action=f"crm.{target._meta.model_name}.tag_removed",
            target=target,
            changes={"tags": [tag.name, None]},
        )
