"""Signals other code listens to (emails, enforcement caches). Billing sends them after
commit, so a receiver never sees a move that is rolled back."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per recorded move (not for no-ops), after the move's transaction commits, with
# keyword arguments: company (tenants.Company, already updated), old and new (state values)
# and change (the BillingStateChange row). Receivers must not raise: errors are logged and
# the other receivers still run.
billing_state_changed = Signal()
