"""A session's "last seen" is recorded at most every SESSION_ACTIVITY_INTERVAL: a page view in
between writes nothing (neither the session's row in "Your sessions" nor the session)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from shared_apps.accounts.models import User
from shared_apps.accounts.services import membership_create
from shared_apps.accounts.session_activity import SESSION_KEY
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user
from tests.query_budget import page_queries

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


def _member(company: Company) -> User:
    user = make_user(email="seen@example.test")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    membership_create(user=user, company=company, role="member", actor=None)
    return user


def _key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _age_last_record(client: Client, seconds: int) -> None:
    """Pretend the last record was made `seconds` ago (session data and the row)."""
    session = Session.objects.get(session_key=_key(client))
    data = session.get_decoded()
    data[SESSION_KEY] = int(time.time()) - seconds
    Session.objects.save(session.session_key, data, session.expire_date)
    UserSession.objects.filter(session_key=_key(client)).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_sign_in_records_the_session_and_the_next_pages_write_nothing(alpha: Company) -> None:
    # given a member who signs in on alpha's host
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    user = _member(alpha)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert UserSession.objects.filter(session_key=_key(client), user=user).exists()

    # when they open pages right after
    for _ in range(3):
        with page_queries():
            assert client.get("/").status_code == 200


def test_activity_is_recorded_again_once_the_interval_has_passed(alpha: Company) -> None:
    # given a member whose session was recorded on their first page view
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_member(alpha))
    assert client.get("/").status_code == 200
    row = UserSession.objects.get(session_key=_key(client))

    # when a page is opened before the interval has passed, nothing is written
    _age_last_record(client, settings.SESSION_ACTIVITY_INTERVAL - 30)
    stale = UserSession.objects.get(pk=row.pk).last_seen_at
    with page_queries():
        assert client.get("/").status_code == 200
    assert UserSession.objects.get(pk=row.pk).last_seen_at == stale

    # when it is opened after the interval, "last seen" moves to now
    _age_last_record(client, settings.SESSION_ACTIVITY_INTERVAL + 1)
    stale = UserSession.objects.get(pk=row.pk).last_seen_at
    assert client.get("/").status_code == 200
    assert UserSession.objects.get(pk=row.pk).last_seen_at > stale + timedelta(seconds=250)
    # and the following page writes nothing again
    with page_queries():
        assert client.get("/").status_code == 200


def test_a_session_from_before_this_rule_is_recorded_on_its_first_page(alpha: Company) -> None:
    # given a signed-in session without the record time (as before this rule)
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(_member(alpha))
    assert not UserSession.objects.filter(session_key=_key(client)).exists()

    # when a page is opened, the session's row is written (as allauth did)
    assert client.get("/").status_code == 200
    assert UserSession.objects.filter(session_key=_key(client)).exists()
    assert SESSION_KEY in Session.objects.get(session_key=_key(client)).get_decoded()
