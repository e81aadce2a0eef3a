"""Signals other code listens to (emails, enforcement caches). Billing sends them after
commit, so a receiver never sees a move that is rolled back."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per recorded move (not for no-ops), after the move's transaction commits, with
# keyword arguments: company (tenants.Company, already updated), old and new (state values)
# and change (the BillingStateChange row). Receivers must not raise: errors are logged and
# the other receivers still run.
billing_state_changed = Signal()

# Sent for Stripe events that warn without moving the state (and alongside moves that need
# more than the state in the email), after commit, with keyword arguments: company, kind
# (one of NOTICE_KINDS), event_id (the Stripe event id, for de-duplication) and, when known,
# hosted_invoice_url (str) and ends_at (datetime: the trial's or period's end).
billing_notice = Signal()

NOTICE_PAYMENT_FAILED = "payment_failed"
NOTICE_ACTION_REQUIRED = "action_required"
NOTICE_TRIAL_ENDING = "trial_ending"
NOTICE_KINDS = (NOTICE_PAYMENT_FAILED, NOTICE_ACTION_REQUIRED, NOTICE_TRIAL_ENDING)
