"""Live records that look like the one being created: same email, phone or domain, compared
in their normalised form (lowercase email, "+digits" phone, bare lowercase host)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, ContactEmail, ContactPhone, Organization
from tenant_apps.crm.validators import domain_normalize, phone_normalize

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

LIMIT = 10


def _phones(values: Iterable[str]) -> set[str]:
    found = set()
    for value in values:
        try:
            found.add(phone_normalize(value))
        except ValidationError:
            continue
    return found


def _domain(value: str) -> str:
    try:
        return domain_normalize(value)
    except ValidationError:
        return ""


def contact_duplicates(
    *,
    actor: User,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    exclude_pk: int | None = None,
) -> list[Contact]:
    """Live contacts sharing an email address or a phone number. Two queries at most."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    clean_emails = {e.strip().lower() for e in emails if e and e.strip()}
    clean_phones = _phones(p for p in phones if p)
    if not clean_emails and not clean_phones:
        return []
    match = Q()
    if clean_emails:
        match |= Q(
            pk__in=ContactEmail.objects.annotate(low=Lower("email"))
            .filter(low__in=clean_emails)
            .values("contact_id")
        )
    if clean_phones:
        match |= Q(pk__in=ContactPhone.objects.filter(number__in=clean_phones).values("contact_id"))
    found = Contact.objects.filter(match, deleted_at__isnull=True).select_related("organization")
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return list(found.order_by("last_name", "first_name", "id")[:LIMIT])


def organization_duplicates(
    *,
    actor: User,
    domain: str = "",
    website: str = "",
    email: str = "",
    phone: str = "",
    exclude_pk: int | None = None,
) -> list[Organization]:
    """Live organizations with the same domain (given, or taken from the website), email
    or phone. One query."""
    crm_access(actor=actor, action=Action.CRM_VIEW)
    match = Q()
    host = _domain(domain) or _domain(website)
    if host:
        match |= Q(domain=host)
    if email and email.strip():
        match |= Q(email__iexact=email.strip())
    for number in _phones([phone] if phone else []):
        match |= Q(phone=number)
    if not match:
        return []
    found = Organization.objects.filter(match, deleted_at__isnull=True)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return list(found.order_by("name", "id")[:LIMIT])
