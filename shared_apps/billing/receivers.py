"""dj-stripe webhook receivers: Stripe events move the billing state (filled in next)."""
