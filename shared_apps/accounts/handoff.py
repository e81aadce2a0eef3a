"""Login handoff: move a signed-in person from the public host to a company host.

Sessions are host-only, so a company host cannot see the public host's session. The public
host issues a single-use token valid for a minute, bound to one person and one company, and
sends the browser to `<company host>/handoff/?token=…`; the company host redeems it and opens
its own session. Only sha256(token) is stored, so a database leak yields no usable token.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shared_apps.accounts.models import LoginHandoff, Membership, User
from shared_apps.accounts.single_use import Failure, single_use_issue, single_use_spend
from shared_apps.audit.models import SecurityEvent
from shared_apps.audit.security import security_event_record
from shared_apps.tenants.models import Company

HANDOFF_TTL = timedelta(seconds=60)


class HandoffError(Exception):
    """A handoff was refused. `message` is safe to show to the person."""

    reason = "invalid"
    message = _("This sign-in link is not valid.")

    def __str__(self) -> str:
        return str(self.message)


class HandoffNotMember(HandoffError):
    reason = "not_member"
    message = _("You are not a member of this company.")


class HandoffInvalid(HandoffError):
    """Unknown, malformed or tampered token."""

    reason = "invalid"
    message = _("This sign-in link is not valid. Please sign in again.")


class HandoffUsed(HandoffError):
    reason = "used"
    message = _("This sign-in link has already been used. Please sign in again.")


class HandoffExpired(HandoffError):
    reason = "expired"
    message = _("This sign-in link has expired. Please sign in again.")


class HandoffWrongCompany(HandoffError):
    reason = "wrong_company"
    message = _("This sign-in link is for another company.")


class HandoffInactive(HandoffError):
    reason = "inactive"
    message = _("This account is disabled.")


_FAILURES: dict[Failure, type[HandoffError]] = {
    "invalid": HandoffInvalid,
    "used": HandoffUsed,
    "expired": HandoffExpired,
}


def _is_member(*, user: User, company: Company) -> bool:
    return Membership.objects.filter(user=user, company=company).exists()


@transaction.atomic
def handoff_issue(*, user: User, company: Company, request: HttpRequest | None) -> str:
    """A fresh single-use token for `user` to sign in on `company`'s host. Returns the raw
    token (shown once, never stored). Raises HandoffNotMember / HandoffInactive."""
    if not user.is_active:
        raise HandoffInactive
    if not _is_member(user=user, company=company):
        raise HandoffNotMember
    token = single_use_issue(model=LoginHandoff, user=user, ttl=HANDOFF_TTL, company=company)
    security_event_record(
        kind=SecurityEvent.Kind.HANDOFF,
        request=request,
        user=user,
        company_id=company.pk,
        data={"step": "issued", "subdomain": company.subdomain},
    )
    return token


def handoff_redeem(*, token: str, company: Company, request: HttpRequest | None) -> User:
    """The person a token signs in on `company`'s host. The token is spent by the first
    attempt, whatever its outcome. Raises a HandoffError subclass when refused."""
    user, error = _redeem(token=token, company=company, request=request)
    if error is not None:
        raise error
    assert user is not None
    return user


@transaction.atomic
def _redeem(
    *, token: str, company: Company, request: HttpRequest | None
) -> tuple[User | None, HandoffError | None]:
    # Errors are returned, not raised, so that marking the token used and the security row
    # commit even when the handoff is refused.
    handoff, failure = single_use_spend(model=LoginHandoff, token=token)
    user = handoff.user if handoff is not None else None
    error: HandoffError | None
    if failure is not None:
        error = _FAILURES[failure]()
    else:
        assert handoff is not None  # no failure means a row was found
        assert user is not None
        if handoff.company_id != company.pk:
            error = HandoffWrongCompany()
        elif not user.is_active:
            error = HandoffInactive()
        elif not _is_member(user=user, company=company):
            error = HandoffNotMember()
        else:
            error = None
    security_event_record(
        kind=SecurityEvent.Kind.HANDOFF,
        request=request,
        user=user,
        company_id=company.pk,
        data={
            "step": "redeemed" if error is None else "refused",
            "subdomain": company.subdomain,
            **({"reason": error.reason} if error is not None else {}),
        },
    )
    return (user if error is None else None), error
