"""Access rows for Stripe's webhook endpoint: public host only, POST only (signed by Stripe)."""

COMPANY: dict[str, tuple[object, ...]] = {}

# name -> (anonymous, signed-in person, platform staff) on the public host.
PUBLIC: dict[str, tuple[object, ...]] = {
    "djstripe:djstripe_webhook_by_uuid": (405, 405, 405),
}
