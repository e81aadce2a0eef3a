"""What a company's plan allows. The billing issue fills in the bodies; callers stay as they are.

Every place that adds a member (creating an invitation, accepting one) calls `seats_check`
first, so a full plan refuses new members in exactly one place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from shared_apps.tenants.models import Company


class LimitReached(ValidationError):
    """The company's plan does not allow more of something. `limit` names it ("seats")."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message, code="limit_reached", params=None)
        self.limit = limit


def seats_check(*, company: Company) -> None:
    """Raise LimitReached when `company` cannot take one more member. Called inside the
    adding service's transaction. For now every plan has unlimited seats."""
    seats_limit: int | None = None  # billing: the plan's seat count (None = unlimited)
    if seats_limit is None:
        return
    used = company.memberships.count()
    if used >= seats_limit:
        raise LimitReached(
            str(
                _("Your plan allows %(limit)d members and all seats are taken.")
                % {"limit": seats_limit}
            ),
            limit="seats",
        )
