"""No value of a company, a person or a record becomes markup in the emails we send.

The attack (red-team report): a company named `Acme</title><h1>SECURITY ALERT</h1>...` put
its markup, a tracking pixel and a phishing link into the HTML part of every invitation,
welcome and billing email, because the plain-text subject template (autoescape off) was
included into the HTML layout's <title>. Every template under templates/email is rendered
here with hostile values, and every kind of email is sent through its real sender.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts import team
from shared_apps.accounts.models import Membership, User
from shared_apps.billing import retention
from shared_apps.billing.notify import Message, billing_email_send
from shared_apps.notifications.services import welcome_email_send
from shared_apps.notifications.tasks import email_render
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Activity, Contact
from tenant_apps.crm.services.notifications import task_reminders_send
from tests.conftest import host_client
from tests.factories import make_user
from tests.shared_apps.billing.factories import put_in_state
from tests.tenant_apps.crm.factories import member_of

EMAIL_DIR = Path(settings.BASE_DIR) / "templates" / "email"

HOSTILE_COMPANY = (
    'Acme</title><h1>SECURITY ALERT</h1><a href="http://evil.test/phish">Verify your account'
    '</a><img src="http://evil.test/px.gif"><title>\r\nBcc: victim@evil.test'
)
HOSTILE_PERSON = '<script>alert(1)</script><a href="http://evil.test/p" onclick="x()">Boss</a>'
HOSTILE_RECORD = '</p><img src="http://evil.test/r.gif" onerror="x()">Call\nback <b>now</b>'
# Each hostile value carries one of these words as text: it must be shown, escaped.
SHOWN = ("SECURITY ALERT", "alert(1)", "Call")

# Values our own code builds (links with our origin and tokens, dates, counts).
OURS: dict[str, Any] = {
    "billing_url": "https://alpha.localhost/billing/?a=1&b=2",
    "company_url": "https://alpha.localhost/",
    "export_url": "https://alpha.localhost/export/final/?token=t",
    "invite_url": "https://localhost/invite/token/",
    "invoice_url": "https://invoice.stripe.test/i/1",
    "record_url": "https://alpha.localhost/contacts/1/",
    "tasks_url": "https://alpha.localhost/tasks/",
    "security_url": "https://localhost/accounts/sessions/",
    "days_left": 3,
    "expires_days": 7,
    "language": "en",
}
HOSTILE_CONTEXT: dict[str, Any] = {
    **OURS,
    "company_name": HOSTILE_COMPANY,
    "name": HOSTILE_PERSON,
    "inviter_name": HOSTILE_PERSON,
    "subject": HOSTILE_RECORD,  # a task's subject (task_due), allauth's subject
    "body": HOSTILE_RECORD,  # allauth's body (account_message)
    "user_agent": HOSTILE_PERSON,  # anyone signing in chooses it
    "ip": HOSTILE_PERSON,
    "when": HOSTILE_RECORD,
    "due": HOSTILE_RECORD,
    "deadline": HOSTILE_RECORD,
    "role": HOSTILE_PERSON,
    "trial_ended": True,
}


def email_templates() -> list[str]:
    names = sorted(
        str(path.relative_to(EMAIL_DIR)).removesuffix(".subject.txt")
        for path in EMAIL_DIR.rglob("*.subject.txt")
    )
    assert len(names) >= 15, names  # the glob found the templates
    return names


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title.append(data)


def assert_no_foreign_markup(html: str, subject: str, *, shows_hostile: bool = True) -> None:
    """The HTML has only our own tags and links; the hostile values are there as text
    (`shows_hostile`: for messages that show one; allauth's show no name)."""
    parsed = _Parsed()
    parsed.feed(html)
    tags = [tag for tag, _attrs in parsed.tags]
    assert not {"h1", "img", "script", "b"} & set(tags), tags
    assert tags.count("title") == 1
    for tag, attrs in parsed.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert "evil.test" not in (value or ""), (tag, name, value)
    text = " ".join(parsed.text)
    if shows_hostile:
        assert any(word in text for word in SHOWN), "no hostile value was rendered at all"
    assert " ".join("".join(parsed.title).split()) == subject
    assert not {"\n", "\r"} & set(subject), repr(subject)


def html_of(message: mail.EmailMessage) -> str:
    assert isinstance(message, mail.EmailMultiAlternatives)
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return str(html)


def assert_sent_safely(messages: list[mail.EmailMessage]) -> None:
    assert messages
    for message in messages:
        assert_no_foreign_markup(html_of(message), str(message.subject))


# --- every template ---------------------------------------------------------------------


def test_every_variable_of_the_email_templates_gets_a_hostile_or_own_value() -> None:
    """A new template variable must be added above, so the next test covers it."""
    used: set[str] = set()
    for path in EMAIL_DIR.rglob("*.*"):
        source = path.read_text()
        used |= set(re.findall(r"\{\{ *([a-z_]+)", source))
        used |= set(re.findall(r"(?:with|count) [a-z_]+=([a-z_]+)", source))
        used |= set(re.findall(r"\{% if ([a-z_]+)", source))
    bound_in_templates = {"days", "label", "url", "email_subject"}
    assert used - bound_in_templates <= set(HOSTILE_CONTEXT), used - set(HOSTILE_CONTEXT)


@pytest.mark.parametrize("language", ["en", "bg"])
@pytest.mark.parametrize("template", email_templates())
def test_each_template_escapes_every_value(template: str, language: str) -> None:
    subject, text, html = email_render(
        template=template, context=HOSTILE_CONTEXT, language=language
    )
    assert_no_foreign_markup(html, subject)
    # The subject and the text part are plain text: shown as typed, not as entities.
    assert "&lt;" not in subject
    assert "&amp;" not in text


def test_only_links_to_our_own_hosts_are_clickable() -> None:
    # allauth's messages are plain text; their links (ours) become clickable, nobody else's
    body = (
        "Reset it: http://alpha.localhost/accounts/password/reset/key/1-a/.\n"
        "Not this: http://evil.test/phish?a=1&b=2 nor https://localhost.evil.test/x"
    )
    _subject, _text, html = email_render(
        template="account_message", context={"subject": "Reset", "body": body}, language="en"
    )
    parsed = _Parsed()
    parsed.feed(html)
    links = [dict(attrs)["href"] for tag, attrs in parsed.tags if tag == "a"]
    assert links == ["http://alpha.localhost/accounts/password/reset/key/1-a/"]
    assert "http://evil.test/phish?a=1&amp;b=2" in html


def test_links_to_the_configured_public_origin_are_clickable(settings: Any) -> None:
    settings.PUBLIC_ORIGIN = "https://crm.example.net"
    _subject, _text, html = email_render(
        template="account_message",
        context={"subject": "Link", "body": "Sign in: https://crm.example.net/accounts/x/"},
        language="en",
    )
    assert '<a href="https://crm.example.net/accounts/x/">' in html


# --- every kind of email, through its sender ----------------------------------------------


@pytest.fixture
def hostile_alpha(alpha: Company) -> Company:
    """alpha under a hostile name (a name saved before the name rule, or by a raw update:
    the escaping must hold whatever is stored)."""
    Company.objects.filter(pk=alpha.pk).update(name=HOSTILE_COMPANY)
    alpha.refresh_from_db()
    mail.outbox.clear()
    return alpha


@pytest.fixture
def hostile_owner(hostile_alpha: Company) -> User:
    owner = User.objects.get(email="owner@alpha.test")
    owner.full_name = HOSTILE_PERSON
    owner.save(update_fields=["full_name"])
    return owner


pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("send_emails_now")
def test_invitation(hostile_alpha: Company, hostile_owner: User) -> None:
    team.invitation_create(
        company=hostile_alpha, email="anyone@example.test", role="member", actor=hostile_owner
    )
    assert [m.to for m in mail.outbox] == [["anyone@example.test"]]
    assert_sent_safely(mail.outbox)
    assert "Acme</title>" in mail.outbox[0].subject  # plain text, as the company typed it


@pytest.mark.usefixtures("send_emails_now")
def test_welcome(hostile_alpha: Company, hostile_owner: User) -> None:
    welcome_email_send(user=hostile_owner, company=hostile_alpha)
    assert_sent_safely(mail.outbox)


@pytest.mark.usefixtures("send_emails_now")
@pytest.mark.parametrize(
    "template",
    sorted(
        p.name.removesuffix(".subject.txt") for p in (EMAIL_DIR / "billing").glob("*.subject.txt")
    ),
)
def test_billing_notices(hostile_alpha: Company, hostile_owner: User, template: str) -> None:
    billing_email_send(
        Message(
            company=hostile_alpha,
            template=template,
            key=f"test:{template}",
            context={"invoice_url": OURS["invoice_url"], "trial_ended": True, "export_url": ""},
            deadline=timezone.now() + timedelta(days=3),
        )
    )
    assert_sent_safely(mail.outbox)


@pytest.mark.usefixtures("send_emails_now")
def test_final_export(hostile_alpha: Company, hostile_owner: User) -> None:
    now = timezone.now()
    put_in_state(hostile_alpha, Company.BillingState.CANCELED, since=now - timedelta(days=24))
    assert retention.billing_final_export_notify(company=hostile_alpha, now=now)
    assert_sent_safely(mail.outbox)


@pytest.mark.usefixtures("send_emails_now")
def test_task_reminder(hostile_alpha: Company) -> None:
    assignee = member_of(hostile_alpha, "member", language="en", full_name=HOSTILE_PERSON)
    with schema_context("alpha"):
        contact = Contact.objects.create(last_name=HOSTILE_RECORD[:100])
        Activity.objects.create(
            kind="task",
            subject=HOSTILE_RECORD,
            assignee=assignee,
            due_at=timezone.now() - timedelta(minutes=5),
            contact=contact,
        )
        assert task_reminders_send() == 1
    assert_sent_safely(mail.outbox)


@pytest.mark.usefixtures("send_emails_now")
def test_new_device_notice(hostile_alpha: Company) -> None:
    user = make_user(email="traveller@example.test", password="correct horse battery 9")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for agent in ("Firefox", HOSTILE_PERSON):  # the first sign-in is the known device
        client = host_client("localhost", HTTP_USER_AGENT=agent)
        response = client.post(
            "/accounts/login/", {"login": user.email, "password": "correct horse battery 9"}
        )
        assert response.status_code == 302, response.content[:500]
    sent = [m for m in mail.outbox if m.to == [user.email]]
    assert len(sent) == 1
    assert_sent_safely(sent)


@pytest.mark.usefixtures("send_emails_now")
def test_password_reset_and_address_verification(hostile_alpha: Company) -> None:
    # allauth's own emails: the reset of a person with a hostile name, and the verification
    # sent at sign-up to a person who gives one
    user = make_user(email="reset@example.test", full_name=HOSTILE_PERSON)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = host_client("localhost")
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    response = client.post(
        "/accounts/signup/",
        {
            "email": "newcomer@example.test",
            "full_name": HOSTILE_PERSON,
            "password1": "a long passphrase 2026",
            "password2": "a long passphrase 2026",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert {m.to[0] for m in mail.outbox} == {"reset@example.test", "newcomer@example.test"}
    for message in mail.outbox:
        assert_no_foreign_markup(html_of(message), str(message.subject), shows_hostile=False)


# --- company names --------------------------------------------------------------------------


def test_sign_up_refuses_a_company_name_with_markup(db: None) -> None:
    user = make_user(email="founder@example.test")
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.post("/welcome/", {"name": HOSTILE_COMPANY, "subdomain": "acme-markup"})
    assert response.status_code == 400
    assert "cannot contain" in response.content.decode()
    assert not Company.objects.filter(subdomain="acme-markup").exists()
    assert not Membership.objects.filter(user=user).exists()
