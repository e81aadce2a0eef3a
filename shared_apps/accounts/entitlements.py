"""What a company's plan allows: the rules live in shared_apps/billing/entitlements.py; this
module keeps the accounts side's imports working.

Every place that adds a member (creating an invitation, accepting one) calls `seats_check`
first, so a full plan refuses new members in exactly one place.
"""

from __future__ import annotations

from shared_apps.billing.entitlements import LimitReached, seats_check

__all__ = ["LimitReached", "seats_check"]
