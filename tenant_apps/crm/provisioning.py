"""Company-side setup run by `company_provision` (registered in `CrmConfig.ready`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tenant_apps.crm.models import Pipeline, Stage
from tenant_apps.crm.services.lost_reasons import lost_reasons_seed

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from shared_apps.tenants.models import Company

# (name, win probability, won, lost). The names are stored translated into the owner's
# language at creation: they are data the company renames, not interface text.
DEFAULT_STAGES = (
    (gettext_noop("Lead"), 10, False, False),
    (gettext_noop("Qualified"), 25, False, False),
    (gettext_noop("Proposal"), 50, False, False),
    (gettext_noop("Negotiation"), 75, False, False),
    (gettext_noop("Won"), 100, True, False),
    (gettext_noop("Lost"), 0, False, True),
)
DEFAULT_PIPELINE = gettext_noop("Sales")


def default_pipeline_create(*, company: Company, owner: User, language: str) -> None:
    """The default "Sales" pipeline and lost reasons, in the owner's language. Runs inside the
    new company's schema and transaction."""
    if Pipeline.objects.exists():
        return
    with translation.override(language):
        pipeline = Pipeline.objects.create(name=_(DEFAULT_PIPELINE), is_default=True)
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                name=_(name),
                position=position,
                win_probability=probability,
                is_won=won,
                is_lost=lost,
            )
            for position, (name, probability, won, lost) in enumerate(DEFAULT_STAGES, start=1)
        )
    lost_reasons_seed(language=language)
    # Run the deferred foreign-key checks now: the caller may drop the schema later in the
    # same transaction (a failed or test provisioning), which PostgreSQL refuses while
    # trigger events are pending. Provisioning itself is the audit record (PlatformEvent).
    connection.check_constraints()
