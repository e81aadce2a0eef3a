"""Company lifecycle: provisioning and deletion."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import membership_create, user_get_or_create
from shared_apps.audit.services import platform_event_record
from shared_apps.billing.models import Plan
from shared_apps.billing.services import billing_trial_start
from shared_apps.tenants import hooks
from shared_apps.tenants.db import connection
from shared_apps.tenants.models import Company, Domain
from shared_apps.tenants.schema_template import connection_search_path, quote, template_state_get
from shared_apps.tenants.selectors import routing_forget
from shared_apps.tenants.validators import (
    schema_name_for,
    validate_company_name,
    validate_subdomain,
)

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """Provisioning could not finish; nothing was created."""


def company_host(subdomain: str) -> str:
    return f"{subdomain}.{settings.BASE_DOMAIN}"


def _validate(*, name: str, subdomain: str, owner_email: str) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if not name or not name.strip():
        errors.setdefault("name", []).append(
            ValidationError(_("Enter the company name."), code="required")
        )
    else:
        try:
            validate_company_name(name)
        except ValidationError as exc:
            errors.setdefault("name", []).extend(exc.error_list)
    try:
        validate_subdomain(subdomain)
    except ValidationError as exc:
        errors.setdefault("subdomain", []).extend(exc.error_list)
    else:
        if Company.objects.filter(subdomain=subdomain).exists():
            errors.setdefault("subdomain", []).append(
                ValidationError(
                    _("The subdomain “%(value)s” is already taken."),
                    code="taken",
                    params={"value": subdomain},
                )
            )
    if not owner_email:
        errors.setdefault("owner_email", []).append(
            ValidationError(_("Enter the owner's email address."), code="required")
        )
    else:
        try:
            validate_email(owner_email)
        except ValidationError as exc:
            errors.setdefault("owner_email", []).extend(exc.error_list)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def company_provision(
    *,
    name: str,
    subdomain: str,
    owner_email: str,
    actor: User | None = None,
    language: str = "",
) -> Company:
    """Create a company, its schema (a copy of the template) and its owner, in one transaction.

    The default content (pipeline, stages, lost reasons) is written in `language` (the
    signing-up person's interface language), else in the owner's language.

    Either everything exists afterwards or nothing does: rows and DDL share the transaction.
    Raises ValidationError for bad input and ProvisioningError when the schema cannot be built.
    """
    name = (name or "").strip()
    subdomain = (subdomain or "").strip()
    owner_email = (owner_email or "").strip().lower()
    _validate(name=name, subdomain=subdomain, owner_email=owner_email)

    started = time.perf_counter()
    company = Company(
        name=name,
        subdomain=subdomain,
        schema_name=schema_name_for(subdomain),
        billing_email=owner_email,
    )
    # Every company starts on the trial plan; the fields go into the insert below.
    try:
        trial = billing_trial_start(company=company)
    except Plan.DoesNotExist as exc:
        raise ProvisioningError(_("No trial plan is configured.")) from exc
    # Uniqueness was checked above; it and the check constraint are enforced by the database,
    # so full_clean() skips the look-ups it would make for them (each a round trip).
    # The trial plan was just read, so its foreign key is not checked again either.
    company.full_clean(exclude=["plan"], validate_unique=False, validate_constraints=False)
    try:
        company.save()
    except IntegrityError as exc:  # lost a race for the same subdomain; all rolls back
        raise ValidationError(
            {"subdomain": [_("The subdomain “%(value)s” is already taken.") % {"value": subdomain}]}
        ) from exc
    host = company_host(subdomain)
    # bulk_create skips DomainMixin.save(), which would look for other primary domains of a
    # company that has none yet; the routing cache is told explicitly instead.
    Domain.objects.bulk_create([Domain(domain=host, tenant=company, is_primary=True)])
    routing_forget([host])

    with connection.cursor() as cursor:
        try:
            state = template_state_get(cursor)
        except Exception as exc:
            raise ProvisioningError(str(exc)) from exc
        schema = quote(company.schema_name)
        # One round trip. It ends by restoring the search_path the connection wrapper
        # believes is set, so the wrapper need not issue it again.
        cursor.execute(
            f"CREATE SCHEMA {schema}; SET LOCAL search_path TO {schema};\n"
            + state.ddl
            + state.data_sql
            + f"SET LOCAL search_path TO {connection_search_path()}"
        )

    owner = user_get_or_create(email=owner_email, actor=actor)
    membership_create(user=owner, company=company, role=Membership.Role.OWNER, actor=actor)
    supported = {code for code, _label in settings.LANGUAGES}
    hooks.run_company_provisioned(
        company=company,
        owner=owner,
        language=language if language in supported else owner.language,
    )
    platform_event_record(
        actor=actor,
        action="company.provisioned",
        target=company,
        company=company,
        data={
            "subdomain": subdomain,
            "owner": owner_email,
            "plan": trial.slug,
            "trial_ends_at": company.trial_ends_at.isoformat() if company.trial_ends_at else None,
        },
    )
    logger.info(
        "provisioned company %s in %.0f ms", subdomain, (time.perf_counter() - started) * 1000
    )
    return company


@transaction.atomic
def company_delete(*, company: Company, actor: User | None = None) -> None:
    """Drop the company's schema and its public rows (memberships, domains) together."""
    schema = company.schema_name
    if schema in (settings.PUBLIC_SCHEMA_NAME, settings.TENANT_TEMPLATE_SCHEMA):
        raise ProvisioningError(_("Refusing to drop a system schema."))
    platform_event_record(
        actor=actor,
        action="company.deleted",
        target=company,
        company=company,
        data={"subdomain": company.subdomain, "schema": schema},
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quote(schema)} CASCADE")
    company.delete()
    logger.info("deleted company %s", company.subdomain)


@transaction.atomic
def company_details_change(
    *, company: Company, name: str, billing_email: str, actor: User
) -> Company:
    """Rename the company or change the address billing writes to (platform admin).
    Audited with both values; refused (ValidationError) for an invalid name or address."""
    name = (name or "").strip()
    billing_email = (billing_email or "").strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_company_name(name)
    except ValidationError as exc:
        errors["name"] = " ".join(exc.messages)
    try:
        validate_email(billing_email)
    except ValidationError:
        errors["billing_email"] = _("Enter a valid email address.")
    if errors:
        raise ValidationError(errors)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    changed = {
        field: [getattr(locked, field), value]
        for field, value in (("name", name), ("billing_email", billing_email))
        if getattr(locked, field) != value
    }
    if changed:
        for field, (_before, value) in changed.items():
            setattr(locked, field, value)
        # save() (not an update) so the routing cache drops its copy of the company.
        locked.save(update_fields=[*changed, "updated_at"])
        platform_event_record(
            actor=actor, action="company.changed", target=locked, company=locked, data=changed
        )
    return locked


@transaction.atomic
def company_status_set(*, company: Company, status: str, actor: User) -> Company:
    """Enable or disable the company (a disabled company's host answers nobody). Audited."""
    if status not in Company.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    locked = Company.objects.select_for_update().get(pk=company.pk)
    previous = locked.status
    if previous != status:
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        platform_event_record(
            actor=actor,
            action="company.status_set",
            target=locked,
            company=locked,
            data={"status": [previous, status]},
        )
    return locked
