"""People in the platform admin: deactivation and anonymisation keep every reference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.accounts import people
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.accounts.services import membership_create
from shared_apps.audit.models import PlatformEvent, SecurityEvent
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Organization
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def staff() -> User:
    return make_user(email="staff@platform.test", is_staff=True, is_superuser=True)


def _person(*companies: Company, email: str = "leaver@example.test") -> User:
    user = make_user(email=email, full_name="Lea Leaver")
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    for company in companies:
        membership_create(user=user, company=company, role="member", actor=None)
    return user


def _signed_in(host: str, user: User) -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_deactivate_ends_every_session_and_sign_in(
    alpha: Company, beta: Company, staff: User
) -> None:
    # given a member signed in on alpha and on beta
    user = _person(alpha, beta)
    on_alpha, on_beta = _signed_in("alpha.localhost", user), _signed_in("beta.localhost", user)
    keys = [c.cookies[settings.SESSION_COOKIE_NAME].value for c in (on_alpha, on_beta)]

    # when platform staff deactivate them
    people.user_deactivate(user=user, actor=staff)

    # then they are inactive, both sessions are gone server-side, and it is audited
    user.refresh_from_db()
    assert user.is_active is False
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert on_alpha.get("/")["Location"].startswith("/accounts/login/")
    event = PlatformEvent.objects.get(action=people.USER_DEACTIVATED)
    assert (event.actor, event.target_id, event.data) == (
        staff,
        str(user.pk),
        {"sessions_ended": 2},
    )
    # and signing in again is refused
    again = host_client("alpha.localhost").post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}
    )
    assert again.status_code != 302 or "/accounts/inactive/" in again["Location"]
    # and the memberships stay (the company removes them with the team rules)
    assert Membership.objects.filter(user=user).count() == 2


def test_anonymise_keeps_references_in_every_company(
    alpha: Company, beta: Company, staff: User
) -> None:
    # given a person who owns records in alpha and beta and acted on them
    user = _person(alpha, beta)
    SocialAccount.objects.create(user=user, provider="google", uid="g-1")
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={})
    SecurityEvent.objects.create(kind="login", user=user, email=user.email)
    SecurityEvent.objects.create(kind="login_failed", email=user.email)
    pending = Invitation.objects.create(
        company=beta,
        email=user.email,
        role="member",
        token_hash="x" * 64,
        expires_at="2999-01-01T00:00:00Z",
    )
    records = {}
    for schema in ("alpha", "beta"):
        with schema_context(schema):
            records[schema] = Organization.objects.create(name=f"Org {schema}", owner=user).pk

    # when platform staff anonymise them
    people.user_anonymise(user=user, actor=staff)

    # then the row stays with a stable anonymous address and no personal data
    user.refresh_from_db()
    assert user.email == f"former-member-{user.uuid.hex}@anonymised.invalid"
    assert (user.full_name, user.is_active, user.has_usable_password()) == ("", False, False)
    assert user.get_full_name() == "Former member"
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not Authenticator.objects.filter(user=user).exists()
    assert not SecurityEvent.objects.filter(email__iexact="leaver@example.test").exists()
    pending.refresh_from_db()
    assert pending.email == user.email
    assert pending.revoked_at is not None
    # and records in both companies still resolve to them, shown as "Former member"
    for schema, pk in records.items():
        with schema_context(schema):
            org = Organization.objects.select_related("owner").get(pk=pk)
            assert org.owner_id == user.pk
            assert org.owner.get_full_name() == "Former member"
    # and it is audited with the staff member, without the old address
    event = PlatformEvent.objects.get(action=people.USER_ANONYMISED)
    assert event.actor == staff
    assert event.target_id == str(user.pk)
    assert event.data == {"social_accounts": 1, "authenticators": 1, "email_addresses": 1}
    for model in (PlatformEvent, SecurityEvent):
        assert "leaver@example.test" not in str(list(model.objects.values_list("data")))
    # and doing it again changes nothing
    people.user_anonymise(user=user, actor=staff)
    assert PlatformEvent.objects.filter(action=people.USER_ANONYMISED).count() == 1


def test_record_page_shows_an_anonymised_owner_as_former_member(
    alpha: Company, staff: User
) -> None:
    # given an organization in alpha owned by a person who is then anonymised
    user = _person(alpha)
    with schema_context("alpha"):
        org = Organization.objects.create(name="Kept Ltd", owner=user)
    people.user_anonymise(user=user, actor=staff)

    # when the company's owner opens it
    owner = Membership.objects.get(company=alpha, role="owner").user
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    response = client.get(f"/organizations/{org.pk}/")

    # then the owner shows as "Former member", and nothing of the old address
    assert response.status_code == 200
    body = response.content.decode()
    assert "Former member" in body
    assert "leaver@example.test" not in body


def test_refused_for_oneself_and_for_non_staff(alpha: Company, staff: User) -> None:
    user = _person(alpha)
    with pytest.raises(ValidationError):
        people.user_anonymise(user=staff, actor=staff)
    with pytest.raises(PermissionDenied):
        people.user_deactivate(user=staff, actor=user)
    staff.refresh_from_db()
    assert staff.is_active
    assert not PlatformEvent.objects.filter(actor=user).exists()


def test_staff_update_audits_and_refuses_other_fields(alpha: Company, staff: User) -> None:
    user = _person(alpha)
    with pytest.raises(ValidationError):
        people.user_staff_update(user=user, changes={"email": "x@example.test"}, actor=staff)
    people.user_staff_update(user=user, changes={"full_name": "New Name"}, actor=staff)
    user.refresh_from_db()
    assert user.full_name == "New Name"
    event = PlatformEvent.objects.get(action=people.USER_CHANGED)
    assert event.actor == staff
    assert event.data == {"full_name": True}
