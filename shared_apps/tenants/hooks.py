"""Hooks that company-schema apps register for public-side events.

`shared_apps` never import `tenant_apps`. When the public side needs company-schema work
(e.g. a default pipeline for a new company), the tenant app registers a hook here from its
AppConfig.ready(); provisioning runs the hooks inside the company's schema and transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django_tenants.utils import schema_context

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from shared_apps.tenants.models import Company

CompanyHook = Callable[..., None]
_company_provisioned: list[CompanyHook] = []


def on_company_provisioned(func: CompanyHook) -> CompanyHook:
    """Register `func(*, company, owner, language)`; it runs in the new company's schema.
    `language` is the one the company's default content (pipeline, stages, reasons) is
    written in: the signing-up person's interface language."""
    if func not in _company_provisioned:
        _company_provisioned.append(func)
    return func


def run_company_provisioned(*, company: Company, owner: User, language: str) -> None:
    if not _company_provisioned:
        return
    with schema_context(company.schema_name):
        for func in _company_provisioned:
            func(company=company, owner=owner, language=language)
