from __future__ import annotations

from django.db.models import Q, QuerySet

from shared_apps.audit.models import SecurityEvent

# Events of a person's account (not of any company). Rows recorded before these were kept
# out of companies may still carry a company id; they stay out of the company's log.
ACCOUNT_KINDS = (
    SecurityEvent.Kind.PASSWORD_CHANGED,
    SecurityEvent.Kind.PASSWORD_RESET,
    SecurityEvent.Kind.SESSIONS_ENDED,
)


def security_events_for_company(*, company_id: int) -> QuerySet[SecurityEvent]:
    """A company's security log: what its current members did on its host, newest first,
    with the person (one query per page).

    Left out: anything of people who are not members (a stranger's sign-in, lockouts of
    addresses tried on this host, someone's password reset sent through this host), and
    account-level events (password, personal two-factor, ending sessions), which belong to
    the person (security_events_for_user) and the platform admin."""
    from shared_apps.accounts.models import Membership

    members = Membership.objects.filter(company_id=company_id).values("user_id")
    personal_mfa = Q(kind=SecurityEvent.Kind.MFA_CHANGED) & ~Q(data__has_key="require_mfa")
    return (
        SecurityEvent.objects.filter(company_id=company_id, user_id__in=members)
        .exclude(kind__in=ACCOUNT_KINDS)
        .exclude(personal_mfa)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def security_events_for_user(*, user_id: int) -> QuerySet[SecurityEvent]:
    """Everything recorded about one person's account, on every host, newest first."""
    return SecurityEvent.objects.filter(user_id=user_id).order_by("-created_at", "-id")
