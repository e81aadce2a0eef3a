"""Stripe's webhook endpoint on the public host: dj-stripe's processing behind our own view.

    POST /stripe/webhook/<uuid>/   (saas/urls_public.py includes this module as "djstripe",
                                    so dj-stripe's admin and commands reverse the same URL)

The UUID names a dj-stripe `WebhookEndpoint` row, which holds the signing secret. dj-stripe
verifies the `Stripe-Signature` header (HMAC with the endpoint's secret, at most
`djstripe_tolerance` = 300 s old), stores each delivery (`WebhookEventTrigger`) and processes
each Stripe event once (`Event` ids are unique: a retried or concurrent duplicate delivery
finds the event already there). Our receivers (receivers.py) run inside its transaction.

What this view adds to dj-stripe's own:
- the `X-Djstripe-Webhook-Secret` header is removed before dj-stripe sees the request: with
  DEBUG on, dj-stripe would verify against that header's secret instead of the endpoint's,
  so anyone could sign their own events;
- answers with a JSON error code: 400 `signature_missing`, `payload_invalid` (bad or stale
  signature, malformed body), `customer_unknown` (a billing event for a Stripe customer no
  company owns: rolled back, so Stripe's retries apply it once the customer is linked);
  404 `endpoint_unknown`; 503 `stripe_unavailable` when Stripe's API fails while dj-stripe
  re-retrieves the object (rolled back: Stripe retries and the retry applies it once), and
  when our API key is missing, malformed or refused (`InvalidStripeAPIKey`, 401, 403: logged
  once at error, for an operator to fix; Stripe's retries apply the event afterwards).
Unknown event types are stored and answered 200 (nothing listens to them).

`webhook_endpoint_create` (manage.py billing_webhook_setup) creates the endpoint in Stripe and
keeps its secret, in one step.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from djstripe.exceptions import InvalidStripeAPIKey
from djstripe.models import WebhookEndpoint, WebhookEventTrigger
from djstripe.settings import djstripe_settings

from shared_apps.audit.services import platform_event_record
from shared_apps.billing.stripe_sync import (
    ENABLED_EVENTS,
    UnknownCustomer,
    api_key,
    unknown_customers_refused,
)

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

logger = logging.getLogger(__name__)

FORGEABLE_HEADER = "HTTP_X_DJSTRIPE_WEBHOOK_SECRET"


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _strip_forgeable_header(request: HttpRequest) -> None:
    if request.META.pop(FORGEABLE_HEADER, None) is not None:
        logger.warning("stripe webhook: dropped an X-Djstripe-Webhook-Secret header")
    # request.headers is a cached view of META: forget it if it was built already.
    request.__dict__.pop("headers", None)


# dj-stripe's own view is exempt from ATOMIC_REQUESTS for the same reason: the delivery row
# (with the error) must be kept when processing fails and is rolled back.
@transaction.non_atomic_requests
@csrf_exempt
@login_not_required
@require_POST
def stripe_webhook(request: HttpRequest, uuid: str) -> HttpResponse:
    _strip_forgeable_header(request)
    if "stripe-signature" not in request.headers:
        logger.warning("stripe webhook %s: no Stripe-Signature header", uuid)
        return _error(400, "signature_missing", _("The Stripe-Signature header is missing."))
    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=uuid).first()
    if endpoint is None:
        logger.warning("stripe webhook: unknown endpoint %s", uuid)
        return _error(404, "endpoint_unknown", _("There is no webhook endpoint at this address."))
    try:
        with unknown_customers_refused():
            trigger = WebhookEventTrigger.from_request(request, webhook_endpoint=endpoint)
    except UnknownCustomer as exc:
        logger.warning("stripe webhook %s: %s; nothing applied", uuid, exc)
        return _error(400, exc.code, _("No company has this Stripe customer."))
    except (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError) as exc:
        logger.warning("stripe webhook %s: Stripe's API failed (%s); nothing applied", uuid, exc)
        return _error(503, "stripe_unavailable", _("Stripe could not be reached. Try again later."))
    except (InvalidStripeAPIKey, stripe.AuthenticationError, stripe.PermissionError) as exc:
        # Our key is missing, malformed, rolled or revoked: an outage on our side that only
        # an operator fixes, so an error. Stripe retries a 503 for up to three days, and the
        # retry applies the event once the key is fixed. The exception's text is not logged:
        # dj-stripe's quotes the key itself.
        logger.error(
            "stripe webhook %s: Stripe's API key is missing or was refused (%s); nothing "
            "applied, Stripe will retry. Check STRIPE_%s_SECRET_KEY and the API keys in the "
            "admin.",
            uuid,
            type(exc).__name__,
            "LIVE" if endpoint.livemode else "TEST",
        )
        response = _error(
            503, "stripe_unavailable", _("Stripe could not be reached. Try again later.")
        )
        # Logged above: Django would log every 5xx answer at error a second time.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
    if not trigger.valid:
        logger.warning("stripe webhook %s: delivery %s did not verify", uuid, trigger.pk)
        return _error(
            400,
            "payload_invalid",
            _("The webhook's signature, timestamp or body is not valid."),
        )
    return JsonResponse({"received": True, "delivery": trigger.pk})


# --- setting the endpoint up ----------------------------------------------------------------

LOCAL_HOSTS = ("localhost", "127.0.0.1")


def _clean_base_url(base_url: str) -> str:
    parts = urlsplit((base_url or "").strip())
    host = parts.hostname or ""
    local = host in LOCAL_HOSTS or host.endswith(".localhost")
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(_("Enter the public host's address, such as https://example.com."))
    if parts.scheme != "https" and not local:
        raise ValidationError(_("Stripe sends webhooks to https addresses only."))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(_("Enter the address without a path, such as https://example.com."))
    return f"{parts.scheme}://{parts.netloc}"


def webhook_endpoint_url(base_url: str, endpoint: WebhookEndpoint) -> str:
    path_ = reverse(
        "djstripe:djstripe_webhook_by_uuid",
        kwargs={"uuid": endpoint.djstripe_uuid},
        urlconf="saas.urls_public",
    )
    return base_url + path_


@transaction.atomic
def webhook_endpoint_create(
    *, base_url: str, actor: User | None = None
) -> tuple[WebhookEndpoint, bool]:
    """Create the webhook endpoint in Stripe (its signing secret comes back only from this
    call) and keep it, secret included, as dj-stripe's WebhookEndpoint. Returns (endpoint,
    created); an enabled endpoint with a secret already on this host is returned as is.
    ValidationError for an address that is not a bare public https origin."""
    base = _clean_base_url(base_url)
    livemode = bool(settings.STRIPE_LIVE_MODE)
    existing = (
        WebhookEndpoint.objects.filter(
            url__startswith=f"{base}/", livemode=livemode, status="enabled"
        )
        .exclude(secret="")
        .first()
    )
    if existing is not None:
        return existing, False
    draft = WebhookEndpoint()  # only for its fresh djstripe_uuid
    key = api_key()
    data = WebhookEndpoint._api_create(
        api_key=key,
        url=webhook_endpoint_url(base, draft),
        enabled_events=list(ENABLED_EVENTS),
        api_version=djstripe_settings.STRIPE_API_VERSION,
        metadata={"djstripe_uuid": str(draft.djstripe_uuid)},
        description="CRM billing (dj-stripe)",
    )
    endpoint = WebhookEndpoint.sync_from_stripe_data(data, api_key=key)
    if not endpoint.secret:  # the secret is in the create response only
        endpoint.secret = data["secret"]
        endpoint.save(update_fields=["secret"])
    platform_event_record(
        actor=actor,
        action="billing.webhook_endpoint_created",
        target=endpoint,
        data={"stripe_id": endpoint.id, "url": endpoint.url, "livemode": livemode},
    )
    logger.info("stripe webhook endpoint %s created: %s", endpoint.id, endpoint.url)
    return endpoint, True


app_name = "djstripe"

urlpatterns = [
    path("webhook/<uuid:uuid>/", stripe_webhook, name="djstripe_webhook_by_uuid"),
]
