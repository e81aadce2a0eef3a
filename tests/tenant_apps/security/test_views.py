"""The owner's security settings page on a company host: require two-factor authentication."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.services import company_require_mfa_set, membership_create
from shared_apps.audit.models import PlatformEvent, SecurityEvent
from shared_apps.tenants.models import Company
from tests.conftest import host_client
from tests.factories import make_user

URL = "/settings/security/"


def _owner(company: Company) -> User:
    return Membership.objects.get(company=company, role=Membership.Role.OWNER).user


def _client_for(user: User, host: str = "alpha.localhost") -> Client:
    client = host_client(host, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestSecuritySettingsPage:
    def test_owner_sees_the_toggle(self, alpha: Company) -> None:
        # given the owner of alpha
        client = _client_for(_owner(alpha))

        # when they open the page
        response = client.get(URL)

        # then it shows the require-MFA switch, off by default
        assert response.status_code == 200
        body = response.content.decode()
        assert 'name="require_mfa"' in body
        assert "checked" not in body

    def test_owner_turns_it_on_and_it_is_audited(self, alpha: Company) -> None:
        # given the owner of alpha
        owner = _owner(alpha)
        client = _client_for(owner)

        # when they switch the requirement on
        response = client.post(URL, {"require_mfa": "on"})

        # then it is saved, with a security event and an audit row
        assert response.status_code == 302
        alpha.refresh_from_db()
        assert alpha.require_mfa is True
        event = SecurityEvent.objects.get(kind="mfa_changed", company_id=alpha.pk)
        assert event.user == owner
        assert event.data == {"require_mfa": True}
        audit = PlatformEvent.objects.get(action="company.require_mfa_set")
        assert audit.actor == owner
        assert audit.company_id == alpha.pk

    def test_owner_turns_it_off(self, alpha: Company) -> None:
        # given a company that requires MFA, whose owner has set it up
        owner = _owner(alpha)
        company_require_mfa_set(company=alpha, required=True, actor=owner)
        from allauth.mfa.models import Authenticator

        Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={})
        client = _client_for(owner)

        # when the owner unticks the box
        response = client.post(URL, {})

        # then the requirement is off
        assert response.status_code == 302
        alpha.refresh_from_db()
        assert alpha.require_mfa is False

    @pytest.mark.parametrize("role", ["admin", "member", "viewer"])
    def test_others_get_403_with_a_message(self, alpha: Company, role: str) -> None:
        # given a non-owner member of alpha
        user = make_user(email=f"{role}@example.test")
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        membership_create(user=user, company=alpha, role=role, actor=None)
        client = _client_for(user)

        # when they open or post the page
        shown, posted = client.get(URL), client.post(URL, {"require_mfa": "on"})

        # then both are refused with a clear message, and nothing changes
        for response in (shown, posted):
            assert response.status_code == 403
            assert "Only the company owner can change its security settings." in (
                response.content.decode()
            )
        alpha.refresh_from_db()
        assert alpha.require_mfa is False

    def test_the_owner_of_another_company_gets_404(self, alpha: Company, beta: Company) -> None:
        # given beta's owner on alpha's host
        client = _client_for(_owner(beta))

        # then alpha's settings do not exist for them
        assert client.get(URL).status_code == 404


@pytest.mark.django_db
def test_setting_the_same_value_records_nothing(alpha: Company) -> None:
    # given alpha without the requirement
    owner = _owner(alpha)

    # when the owner saves "off" again
    company_require_mfa_set(company=alpha, required=False, actor=owner)

    # then no event is recorded
    assert not SecurityEvent.objects.filter(kind="mfa_changed").exists()
    assert not PlatformEvent.objects.filter(action="company.require_mfa_set").exists()
