"""A fake Stripe API server for the tests: real HTTP on 127.0.0.1, Stripe's v1 protocol.

    from tests.stripe_fake import FakeStripe
    with FakeStripe() as fake:              # or the `fake_stripe` fixture (fixtures.py)
        stripe.api_base = fake.url          # the global style; or fake.client() for
        stripe.api_key = TEST_API_KEY       # stripe.StripeClient(key, base_addresses={"api": url})

Protocol: form-encoded bodies with bracket syntax, Bearer/Basic auth with any `sk_test_` or
`rk_test_` key (401 otherwise), `Idempotency-Key` replays, Stripe's error JSON and status codes
(404 unknown ids in the URL, 400 bad or unknown parameters and unknown ids in parameters, 402
card errors), list objects with `limit`/`starting_after`/`ending_before`, `expand[]`. Shapes
follow API version 2026-05-27.dahlia (dj-stripe 2.11's default): periods on subscription items,
`parent.subscription_details` on invoices, plus the legacy fields dj-stripe 2.11 still reads
(invoice `subscription` and `paid`, line `subscription`/`subscription_item`/`price`).

Modules: server.py (HTTP, auth, idempotency, outages), routing.py, forms.py (encoding), store.py
(state, clock, expansion, lists, events), customers.py, products.py, periods.py,
subscriptions.py, prorations.py, changes.py (updates), preview.py (create_preview),
invoice_lines.py, invoices.py, checkout.py, portal_webhooks.py, pages.py (hosted pages),
fake.py (`FakeStripe`: seeding, scenarios, delivery), webhooks.py (signing), fixtures.py.

What dj-stripe needs to sync from the fake:
- `stripe.api_base` and `stripe.api_key` pointed at it (the `fake_stripe` fixture);
- `settings.STRIPE_TEST_SECRET_KEY` a key matching dj-stripe's pattern, `sk_test_` and at least
  24 letters or digits (`TEST_API_KEY`), and `STRIPE_LIVE_MODE = False` (`djstripe_fake`);
- no APIKey or Account rows: the first sync creates the APIKey row itself and fetches the
  Account (`GET /v1/account`, a fixed `acct_1FakeStripeTest01`).
Caveat: many dj-stripe methods default `api_key=djstripe_settings.STRIPE_SECRET_KEY`, evaluated
when djstripe is imported; if the key is empty then, the request goes out with an empty key
(401), e.g. `djstripe.sync.sync_subscriber`, `Invoice.upcoming`, `Customer._sync_*` called
without `api_key`. Pass `api_key`, or give the test settings a non-empty default
(`STRIPE_TEST_SECRET_KEY` = `TEST_API_KEY` when the environment has none). dj-stripe 2.11's
`Subscription.current_period_end` reads a top-level field the current API no longer has: read
the items' periods, or set `fake.store.legacy_periods = True`.

A server process (tests/servers.py) reaches the fake only if its settings set dj-stripe's
`STRIPE_API_HOST` (it assigns `stripe.api_base` at start-up) from the environment. Webhooks sent
to a django-tenants app need the public host: `deliver(..., headers={"Host": "localhost:PORT"})`.
"""

from tests.stripe_fake.fake import TEST_API_KEY, FakeStripe
from tests.stripe_fake.webhooks import Delivery, deliver, django_post_kwargs, sign

__all__ = ["TEST_API_KEY", "Delivery", "FakeStripe", "deliver", "django_post_kwargs", "sign"]
