"""Contact writes. `emails` is a list of addresses, the first one primary; `phones` is a list
of `{"number": ..., "label": ...}`. Given to an update, each replaces the contact's list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from shared_apps.accounts.permissions import Action
from shared_apps.billing.entitlements import company_current, contacts_check
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.contact_points import contact_points_refresh
from tenant_apps.crm.models import Contact, ContactEmail, ContactPhone, CustomFieldEntity
from tenant_apps.crm.record_fields import CONTACT_FIELDS, ContactChanges, ContactFields
from tenant_apps.crm.search_text import search_document
from tenant_apps.crm.services.common import (
    Changes,
    ErrorDict,
    created_changes,
    custom_fields_clean,
    field_try,
    fields_assign,
    locked_current,
    record_audit,
    record_changed,
    record_validate,
    restore,
    soft_delete,
    text_normalize,
)
from tenant_apps.crm.validators import phone_normalize

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

_TEXT = ("first_name", "last_name", "job_title", "source")

Phones = Sequence[Mapping[str, str]]


def _emails_clean(emails: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in emails:
        email = raw.strip().lower()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(
                _("“%(value)s” is not a valid email address.") % {"value": raw},
                code="invalid_email",
            ) from exc
        if email not in cleaned:
            cleaned.append(email)
    return cleaned


def _phones_clean(phones: Phones) -> list[tuple[str, str]]:
    return [(phone_normalize(p["number"]), p.get("label", "").strip()) for p in phones]


def _prepare(
    values: dict[str, Any], emails: Sequence[str] | None, phones: Phones | None
) -> tuple[dict[str, Any], ErrorDict, list[str] | None, list[tuple[str, str]] | None]:
    values = dict(values)
    text_normalize(values, _TEXT)
    errors: ErrorDict = {}
    if "custom_fields" in values:
        raw = values["custom_fields"] or {}
        cleaned = field_try(
            errors,
            "custom_fields",
            lambda: custom_fields_clean(entity=CustomFieldEntity.CONTACT, values=raw),
        )
        values["custom_fields"] = cleaned if cleaned is not None else {}
    organization = values.get("organization")
    if organization is not None and organization.deleted_at is not None:
        errors["organization"] = [ValidationError(_("This organization has been deleted."))]
    clean_emails = (
        None if emails is None else field_try(errors, "emails", lambda: _emails_clean(emails))
    )
    clean_phones = (
        None if phones is None else field_try(errors, "phones", lambda: _phones_clean(phones))
    )
    return values, errors, clean_emails, clean_phones


def _lists_save(
    contact: Contact,
    emails: list[str] | None,
    phones: list[tuple[str, str]] | None,
    *,
    created: bool,
) -> Changes:
    changes: Changes = {}
    if emails is not None:
        old = [] if created else [e.email for e in contact.emails.all()]
        if old != emails:
            contact.emails.all().delete()
            ContactEmail.objects.bulk_create(
                ContactEmail(contact=contact, email=email, is_primary=n == 0)
                for n, email in enumerate(emails)
            )
            changes["emails"] = [None if created else old, emails]
    if phones is not None:
        old_phones = [] if created else [[p.number, p.label] for p in contact.phones.all()]
        new_phones = [[number, label] for number, label in phones]
        if old_phones != new_phones:
            contact.phones.all().delete()
            ContactPhone.objects.bulk_create(
                ContactPhone(contact=contact, number=number, label=label)
                for number, label in phones
            )
            changes["phones"] = [None if created else old_phones, new_phones]
    if changes:
        contact_points_refresh(contact)
    return changes


def _search_text(
    contact: Contact, emails: list[str] | None, phones: list[tuple[str, str]] | None
) -> str:
    """The contact's search text from the lists the service holds; a list it was not given
    (None) is read as saved. Computed once per write, set before the row is saved."""
    return search_document(
        contact.search_parts_with(
            contact.emails.values_list("email", flat=True) if emails is None else emails,
            contact.phones.values_list("number", flat=True)
            if phones is None
            else [number for number, _label in phones],
        )
    )


@transaction.atomic
def contact_create(
    *,
    actor: User,
    last_name: str,
    emails: Sequence[str] = (),
    phones: Phones = (),
    **fields: Unpack[ContactFields],
) -> Contact:
    crm_access(actor=actor, action=Action.RECORD_CREATE)
    values, errors, clean_emails, clean_phones = _prepare(
        {"last_name": last_name, "custom_fields": {}, **fields}, emails, phones
    )
    contact = Contact()
    fields_assign(contact, values, allowed=CONTACT_FIELDS)
    record_validate(contact, values=values, errors=errors)
    # After validation (bad input is reported first), before the insert, in its transaction.
    contacts_check(company=company_current())
    contact.search_text = _search_text(contact, clean_emails or [], clean_phones or [])
    contact.save(search_refresh=False)
    changes = created_changes(contact, values)
    changes.update(_lists_save(contact, clean_emails, clean_phones, created=True))
    record_audit(actor=actor, action="crm.contact.created", target=contact, changes=changes)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    actor: User,
    expected_version: int,
    emails: Sequence[str] | None = None,
    phones: Phones | None = None,
    **changes: Unpack[ContactChanges],
) -> Contact:
    crm_access(actor=actor, action=Action.RECORD_EDIT)
    current = locked_current(contact, expected_version=expected_version)
    values, errors, clean_emails, clean_phones = _prepare(dict(changes), emails, phones)
    diff = fields_assign(current, values, allowed=CONTACT_FIELDS)
    record_validate(current, values=values, errors=errors)
    diff.update(_lists_save(current, clean_emails, clean_phones, created=False))
    if diff:
        current.search_text = _search_text(current, clean_emails, clean_phones)
    return record_changed(current=current, actor=actor, diff=diff, search_refresh=False)


@transaction.atomic
def contact_delete(*, contact: Contact, actor: User) -> Contact:
    """Soft delete, restorable for 30 days with `contact_restore`."""
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    return soft_delete(instance=contact, actor=actor)


@transaction.atomic
def contact_restore(*, contact: Contact, actor: User) -> Contact:
    crm_access(actor=actor, action=Action.RECORD_DELETE)
    if contact.deleted_at is not None:  # the bin does not count against the plan's limit
        contacts_check(company=company_current())
    return restore(instance=contact, actor=actor)
