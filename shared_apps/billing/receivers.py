"""dj-stripe webhook receivers: Stripe events move the billing state (stripe_sync.py).

Imported by the app's ready(). Our app is listed before djstripe, so its ready() runs first:
dj-stripe's own handlers, which re-retrieve and sync the event's object, are imported here
first so that they are connected, and therefore run, before ours (a signal calls its
receivers in the order they were connected).
"""

from __future__ import annotations

from typing import Any

from djstripe import event_handlers  # noqa: F401  (connects dj-stripe's syncing handlers)
from djstripe.models import Event
from djstripe.signals import WEBHOOK_SIGNALS

from shared_apps.billing import checks  # noqa: F401  (registers the webhook system check)
from shared_apps.billing.stripe_sync import (
    INVOICE_EVENTS,
    SUBSCRIPTION_EVENTS,
    invoice_event_apply,
    subscription_event_apply,
)


def on_subscription_event(sender: Any, event: Event, **kwargs: Any) -> None:
    subscription_event_apply(event=event)


def on_invoice_event(sender: Any, event: Event, **kwargs: Any) -> None:
    invoice_event_apply(event=event)


for _name in SUBSCRIPTION_EVENTS:
    WEBHOOK_SIGNALS[_name].connect(
        on_subscription_event, sender=Event, dispatch_uid=f"billing:{_name}"
    )
for _name in INVOICE_EVENTS:
    WEBHOOK_SIGNALS[_name].connect(on_invoice_event, sender=Event, dispatch_uid=f"billing:{_name}")
