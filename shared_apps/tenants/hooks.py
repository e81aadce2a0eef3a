"""The one registry of hooks through which company-schema apps do work the public side asks for.

`shared_apps` never import `tenant_apps`. When public-side code needs company-schema work, it
calls a named hook point below; the tenant app registers the function for it from its
AppConfig.ready() (tenant_apps/crm/apps.py registers all three today).

| hook point          | called by (in the company's schema)       | signature                  |
|---------------------|-------------------------------------------|----------------------------|
| company_provisioned | tenants.services.company_provision        | (*, company, owner,        |
|                     | (inside its transaction)                  |  language) -> None         |
| contacts_count      | billing.entitlements.contacts_used        | () -> int (live contacts)  |
| final_export_link   | billing.retention, the final email before | (*, company, expires_at)   |
|                     | a canceled company is deleted             |  -> str | None             |

Each point takes exactly one function: registering a second one raises HookAlreadyRegistered
at start-up. Every point is required: the system check `tenants.E001` fails `manage.py check`
/ `migrate` / `runserver` when one is missing, and calling a missing hook raises MissingHook
(never a silent default such as "0 contacts").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django_tenants.utils import schema_context

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from shared_apps.tenants.models import Company

F = TypeVar("F", bound=Callable[..., Any])


class MissingHook(ImproperlyConfigured):
    """A hook point was called but no app registered a function for it."""


class HookAlreadyRegistered(ImproperlyConfigured):
    """A second, different function was registered for a hook point."""


class Hook(Generic[F]):
    """A named hook point holding exactly one function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._func: F | None = None

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"

    def register(self, func: F) -> F:
        """Register `func` (from AppConfig.ready()); the same function again is a no-op."""
        if self._func is not None and self._func is not func:
            raise HookAlreadyRegistered(
                f"Hook {self.name!r} already has {_qualname(self._func)}; "
                f"refusing {_qualname(func)}. Each hook point takes one function."
            )
        self._func = func
        return func

    def registered(self) -> F | None:
        return self._func

    @property
    def func(self) -> F:
        if self._func is None:
            raise MissingHook(
                f"No function is registered for the hook {self.name!r} "
                "(shared_apps/tenants/hooks.py): the company-schema app that provides it "
                "must register it from its AppConfig.ready() and be in INSTALLED_APPS."
            )
        return self._func

    @contextmanager
    def replaced(self, func: F | None) -> Iterator[None]:
        """Tests: `func` (None: nothing) stands in for the registered function meanwhile."""
        kept = self._func
        self._func = func
        try:
            yield
        finally:
            self._func = kept


def _qualname(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


# --- The hook points ------------------------------------------------------------------------


class CompanyProvisioned(Protocol):
    """Writes a new company's default content (pipeline, stages, reasons) in its schema, in
    `language`: the signing-up person's interface language."""

    def __call__(self, *, company: Company, owner: User, language: str) -> None: ...


class FinalExportLink(Protocol):
    """An absolute URL on the company's host that downloads all its data until
    `expires_at`, or None."""

    def __call__(self, *, company: Company, expires_at: datetime) -> str | None: ...


company_provisioned: Hook[CompanyProvisioned] = Hook("company_provisioned")
contacts_count: Hook[Callable[[], int]] = Hook("contacts_count")
final_export_link: Hook[FinalExportLink] = Hook("final_export_link")

HOOKS: tuple[Hook[Any], ...] = (company_provisioned, contacts_count, final_export_link)


def missing() -> list[str]:
    """The names of the hook points nobody registered."""
    return [hook.name for hook in HOOKS if hook.registered() is None]


def hooks_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """System check (registered by the tenants app): every hook point has its function."""
    return [
        checks.Error(
            f"No function is registered for the hook {name!r}.",
            hint="Register it from the company-schema app's AppConfig.ready() "
            "(see shared_apps/tenants/hooks.py).",
            id="tenants.E001",
        )
        for name in missing()
    ]


def run_company_provisioned(*, company: Company, owner: User, language: str) -> None:
    """The company_provisioned hook, inside the new company's schema (and the caller's
    transaction)."""
    func = company_provisioned.func
    with schema_context(company.schema_name):
        func(company=company, owner=owner, language=language)
