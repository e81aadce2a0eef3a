"""Transactional email: pick the recipient's language, write the message to the outbox in
the caller's transaction and ask a worker to send it after commit.

Templates live in `templates/email/<template>.subject.txt`, `.txt` and `.html`, and extend
the shared `email/layout.txt` / `email/layout.html`. The context is stored as JSON (and
travels through the broker): strings, numbers, lists and dicts only (URLs, not objects).
"""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction

# Links in emails follow the one rule in tenants.origins (re-exported here for callers).
from shared_apps.tenants.origins import public_origin as public_origin

if TYPE_CHECKING:
    from shared_apps.accounts.models import User
    from shared_apps.tenants.models import Company

DEFAULT_LANGUAGE = "bg"


def recipient_language(*, user: User | None = None, email: str = "", default: str = "") -> str:
    """The recipient's `User.language` (chosen at sign-up, changed with the language switch);
    for someone without an account `default` (an invitee: the inviter's interface language),
    else the product's default (Bulgarian)."""
    from shared_apps.accounts.models import User

    if user is None and email:
        user = User.objects.filter(email=email.strip().lower()).only("language").first()
    language = user.language if user is not None else (default or DEFAULT_LANGUAGE)
    supported = {code for code, _name in settings.LANGUAGES}
    return language if language in supported else DEFAULT_LANGUAGE


def email_enqueue(
    *,
    template: str,
    to_user: User | None = None,
    to_email: str | None = None,
    context: dict[str, Any],
    idempotency_key: str,
    stranger_language: str = "",
) -> bool:
    """Send `template` to `to_user` (or the address `to_email`) once the current transaction
    commits (at once outside one). True if the message is new, False if its key was taken.
    It is written in the recipient's language; `stranger_language` is the one for an
    address without an account.

    The message is written to the outbox (`OutboundEmail`) in the caller's transaction, so
    it exists if and only if the caller's write committed; after the commit a worker is
    asked to send it. A broker that is down then is logged, not raised: the periodic
    `notifications.outbox_flush` hands the message over later. `idempotency_key`
    identifies this one message: a second call with the same key adds nothing, and the
    message is sent once however often its task is retried or delivered."""
    from shared_apps.notifications.outbox import outbox_add, outbox_publish

    if to_user is None and not to_email:
        raise ValueError("email_enqueue needs to_user or to_email.")
    to = to_email or (to_user.email if to_user is not None else "")
    language = recipient_language(user=to_user, email=to, default=stranger_language)
    json.dumps(context)  # fail here, in the caller, rather than in the database or broker
    email = outbox_add(
        template=template,
        to=to,
        context=context,
        language=language,
        idempotency_key=idempotency_key,
    )
    if email is None:
        return False
    transaction.on_commit(partial(outbox_publish, email))
    return True


def welcome_email_send(*, user: User, company: Company) -> None:
    """ "Your company is ready": called by onboarding after the company was created."""
    email_enqueue(
        template="welcome",
        to_user=user,
        context={
            "name": user.get_short_name(),
            "company_name": company.name,
            "company_url": f"{public_origin()}/go/{company.subdomain}/",
        },
        idempotency_key=f"welcome:{company.pk}:{user.pk}",
    )
