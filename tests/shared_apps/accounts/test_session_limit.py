from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

from shared_apps.accounts.session_limit import SESSION_KEY
from shared_apps.tenants.models import Company
from tests.conftest import host_client

PASSWORD = "correct-horse-battery-9"


def _signed_in_owner_client(company: Company) -> Client:
    owner = company.memberships.get(role="owner").user
    owner.set_password(PASSWORD)
    owner.save()
    EmailAddress.objects.update_or_create(
        user=owner, email=owner.email, defaults={"verified": True, "primary": True}
    )
    client = host_client(f"{company.subdomain}.localhost")
    response = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_sign_in_time_is_stored_in_the_session(alpha: Company) -> None:
    before = int(time.time())
    client = _signed_in_owner_client(alpha)
    assert before <= client.session[SESSION_KEY] <= int(time.time())


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_AGE=3600)
def test_an_active_session_ends_after_the_absolute_lifetime(alpha: Company) -> None:
    client = _signed_in_owner_client(alpha)
    assert client.get("/").status_code == 200
    # the person signed in more than an hour ago (and kept the session busy since)
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 3601
    session.save()
    key = session.session_key
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_AGE=3600)
def test_a_session_within_the_lifetime_goes_on(alpha: Company) -> None:
    client = _signed_in_owner_client(alpha)
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 3500
    session.save()
    assert client.get("/").status_code == 200
