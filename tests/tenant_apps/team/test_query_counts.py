"""Lists cost a constant number of queries, whatever their length."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from shared_apps.accounts.models import Invitation, Membership
from shared_apps.accounts.team import invitation_create
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries


def _queries(client: Client, path: str) -> int:
    client.get(path)  # warm per-process caches (routing, content types)
    with page_queries() as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def _grow(times: int, add: Callable[[int], object]) -> None:
    for n in range(times):
        add(n)


@pytest.mark.django_db
def test_team_page_queries_do_not_grow_with_members_and_invitations(
    alpha: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared_apps.notifications.tasks import send_email

    monkeypatch.setattr(send_email, "delay", lambda **kwargs: None)
    # No plan, no seat limit: this test is about the page, not the trial's 5 seats.
    monkeypatch.setattr(alpha, "plan", None)
    owner = alpha.memberships.get(role="owner").user
    client = host_client("alpha.localhost")
    client.force_login(owner)
    few = _queries(client, "/team/")
    _grow(10, lambda n: Membership.objects.create(user=make_user(), company=alpha, role="member"))
    _grow(
        10,
        lambda n: invitation_create(
            company=alpha, email=f"q{n}@example.test", role="member", actor=owner
        ),
    )
    assert Invitation.objects.filter(company=alpha).count() >= 10
    assert _queries(client, "/team/") == few


@pytest.mark.django_db
def test_welcome_page_queries_do_not_grow_with_companies(alpha: Company) -> None:
    owner = alpha.memberships.get(role="owner").user
    client = host_client("localhost")
    client.force_login(owner)
    few = _queries(client, "/welcome/")
    _grow(
        4,
        lambda n: Membership.objects.create(
            user=owner,
            company=company_provision(
                name=f"Q{n}", subdomain=f"qcount-{n}", owner_email=f"o{n}@q.test"
            ),
            role="member",
        ),
    )
    assert _queries(client, "/welcome/") == few
