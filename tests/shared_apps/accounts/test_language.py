"""Languages: a company's default content in the signing-up person's language, each email in
its recipient's, the language switch remembered on the account, the unknown-company page in
the browser's language."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.accounts import team
from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.signup import on_user_signed_up
from shared_apps.audit.models import PlatformEvent
from shared_apps.notifications.models import OutboundEmail
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import company_provision
from tenant_apps.crm.models import Pipeline, Stage
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def _signup(language: str, email: str, name: str = "Nina Newcomer") -> Any:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE=language)
    return client.post(
        "/accounts/signup/",
        {"email": email, "full_name": name, "password1": PASSWORD, "password2": PASSWORD},
    )


def _mail(to: str, template: str) -> OutboundEmail:
    return OutboundEmail.objects.get(to=to, template=template)


def _stages(company: Company) -> tuple[str, list[str]]:
    with schema_context(company.schema_name):
        pipeline = Pipeline.objects.get(is_default=True)
        return pipeline.name, list(
            Stage.objects.filter(pipeline=pipeline)
            .order_by("position")
            .values_list("name", flat=True)
        )


@pytest.mark.parametrize("language", ["en", "bg"])
def test_sign_up_remembers_the_interface_language_and_the_name(language: str) -> None:
    email = f"lang-{uuid.uuid4().hex[:8]}@example.test"
    response = _signup(language, email)
    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert user.language == language
    assert user.full_name == "Nina Newcomer"
    # the verification email is in that language
    assert _mail(email, "account_message").language == language


def test_the_name_is_required() -> None:
    email = f"noname-{uuid.uuid4().hex[:8]}@example.test"
    response = _signup("en", email, name="   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not User.objects.filter(email=email).exists()


class _Provider:
    def extract_common_fields(self, data: dict[str, str]) -> dict[str, str]:
        return {"first_name": data["given_name"], "last_name": data["family_name"]}


class _Account:
    extra_data = {"given_name": "Ada", "family_name": "Lovelace"}

    def get_provider(self) -> _Provider:
        return _Provider()


class _SocialLogin:
    account = _Account()


def test_sso_sign_up_takes_the_name_from_the_claims_and_the_language() -> None:
    user = make_user(full_name="", language="bg")
    request = RequestFactory(HTTP_ACCEPT_LANGUAGE="en").get("/")
    on_user_signed_up(sender=User, request=request, user=user, sociallogin=_SocialLogin())
    user.refresh_from_db()
    assert (user.full_name, user.language) == ("Ada Lovelace", "en")


def test_company_created_from_the_english_interface_has_english_defaults() -> None:
    # given a person whose account says Bulgarian, using the English interface
    user = make_user(language="bg")
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    subdomain = f"en-{uuid.uuid4().hex[:8]}"
    # when they create a company
    response = client.post("/welcome/", {"name": "English Ltd", "subdomain": subdomain})
    assert response.status_code == 302
    # then its pipeline and stages are in English
    company = Company.objects.get(subdomain=subdomain)
    assert _stages(company) == (
        "Sales",
        ["Lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"],
    )


def test_provisioning_writes_defaults_in_the_given_language() -> None:
    subdomain = f"bg-{uuid.uuid4().hex[:8]}"
    company = company_provision(
        name="Бета ООД", subdomain=subdomain, owner_email="bg-owner@example.test", language="bg"
    )
    with translation.override("bg"):
        expected = translation.gettext("Lead")
    assert _stages(company)[1][0] == expected != "Lead"


def test_welcome_email_follows_the_sign_up_language() -> None:
    email = f"welcome-{uuid.uuid4().hex[:8]}@example.test"
    _signup("en", email)
    user = User.objects.get(email=email)
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    subdomain = f"wl-{uuid.uuid4().hex[:8]}"
    client.post("/welcome/", {"name": "Welcome Ltd", "subdomain": subdomain})
    assert _mail(email, "welcome").language == "en"


@pytest.mark.parametrize("inviter_language", ["en", "bg"])
def test_a_stranger_is_invited_in_the_inviters_language(
    alpha: Company, inviter_language: str
) -> None:
    inviter = make_user(language=inviter_language)
    Membership.objects.create(user=inviter, company=alpha, role=Membership.Role.OWNER)
    email = f"stranger-{uuid.uuid4().hex[:8]}@example.test"
    team.invitation_create(company=alpha, email=email, role="member", actor=inviter)
    assert _mail(email, "invitation").language == inviter_language


def test_someone_with_an_account_is_invited_in_their_own_language(alpha: Company) -> None:
    inviter = make_user(language="bg")
    Membership.objects.create(user=inviter, company=alpha, role=Membership.Role.OWNER)
    invitee = make_user(language="en")
    team.invitation_create(company=alpha, email=invitee.email, role="member", actor=inviter)
    assert _mail(invitee.email, "invitation").language == "en"


def test_the_language_switch_is_remembered_on_the_account(alpha: Company) -> None:
    user = make_user(language="bg")
    client = host_client("localhost")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/welcome/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    assert PlatformEvent.objects.filter(action="user.language_changed", target_id=str(user.pk))
    # an unsupported code changes nothing
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


def test_the_language_switch_works_signed_out() -> None:
    response = host_client("localhost").post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


@pytest.mark.parametrize(
    ("accept", "text", "lang"),
    [
        ("en-GB,en;q=0.9", "There is no workspace at this address.", "en"),
        ("bg", "На този адрес няма работно пространство.", "bg"),
    ],
)
def test_unknown_company_page_follows_accept_language(accept: str, text: str, lang: str) -> None:
    response = host_client("nosuchcompany.localhost:18800", HTTP_ACCEPT_LANGUAGE=accept).get("/")
    assert response.status_code == 404
    body = response.content.decode()
    assert text in body
    assert f'<html lang="{lang}">' in body
    assert response["Content-Language"] == lang
    assert 'href="http://localhost:18800/"' in body
