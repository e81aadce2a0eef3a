"""Where links point (shared_apps/tenants/origins.py), and every link of every email type
followed on a non-default port."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts import team
from shared_apps.accounts.models import Membership, User
from shared_apps.audit.models import SecurityEvent
from shared_apps.billing.notify import Message, billing_email_send
from shared_apps.notifications import services as notification_services
from shared_apps.notifications.services import welcome_email_send
from shared_apps.notifications.signals import on_logged_in
from shared_apps.tenants import origins
from shared_apps.tenants.models import Company
from tenant_apps.crm.final_export import final_export_link
from tenant_apps.crm.models import Activity, Contact
from tenant_apps.crm.services.notifications import task_reminders_send
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PORT = 18800  # not the default 8000
ROOT = Path(__file__).resolve().parents[3]
LINK = re.compile(r"https?://[^\s\"<>']+")


# --- the rule ---------------------------------------------------------------------------------


@override_settings(PUBLIC_ORIGIN="", SERVED_PORT=None, BASE_DOMAIN="localhost")
def test_without_a_request_or_a_served_port_links_are_https() -> None:
    assert origins.public_origin() == "https://localhost"
    assert origins.company_origin("alpha") == "https://alpha.localhost"


@override_settings(PUBLIC_ORIGIN="", SERVED_PORT=PORT, BASE_DOMAIN="localhost")
def test_development_emails_use_the_served_port() -> None:
    assert origins.public_origin() == f"http://localhost:{PORT}"
    assert origins.company_url("alpha", "/x/") == f"http://alpha.localhost:{PORT}/x/"
    # the name other modules import keeps working
    assert notification_services.public_origin() == f"http://localhost:{PORT}"


@override_settings(PUBLIC_ORIGIN="", SERVED_PORT=8000, BASE_DOMAIN="localhost")
def test_pages_use_the_origin_the_request_came_in_on() -> None:
    request = RequestFactory(HTTP_HOST=f"alpha.localhost:{PORT}").get("/")
    assert origins.public_origin(request) == f"http://localhost:{PORT}"
    assert origins.company_origin("beta", request) == f"http://beta.localhost:{PORT}"
    secure = RequestFactory(HTTP_HOST="localhost").get("/", secure=True)
    assert origins.public_origin(secure) == "https://localhost"


@override_settings(PUBLIC_ORIGIN="https://crm.example.com/", SERVED_PORT=PORT)
def test_production_public_origin_wins_everywhere() -> None:
    request = RequestFactory(HTTP_HOST=f"localhost:{PORT}").get("/")
    assert origins.public_origin() == "https://crm.example.com"
    assert origins.public_origin(request) == "https://crm.example.com"
    assert origins.company_origin("alpha") == "https://alpha.crm.example.com"


def test_one_module_owns_the_rule() -> None:
    """No other module builds an origin from settings or hard-codes the development port."""
    own = ROOT / "shared_apps" / "tenants" / "origins.py"
    offenders = []
    for folder in ("shared_apps", "tenant_apps"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == own or "migrations" in path.parts:
                continue
            text = path.read_text()
            if re.search(r"settings\.PUBLIC_ORIGIN|\"PUBLIC_ORIGIN\"|:8000\b|def _origin\(", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- every email type, every link, on port 18800 -----------------------------------------------


def _links(message: mail.EmailMessage) -> set[str]:
    bodies = [str(message.body)]
    for content, _mimetype in getattr(message, "alternatives", []):
        bodies.append(str(content))
    return {url.rstrip(".,;)") for body in bodies for url in LINK.findall(body)}


def _follow(url: str) -> int:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return int(host_client(parts.netloc).get(path).status_code)


@override_settings(PUBLIC_ORIGIN="", SERVED_PORT=PORT, BASE_DOMAIN="localhost")
@pytest.mark.usefixtures("send_emails_now")
def test_every_link_in_every_email_type_is_served_on_the_port(alpha: Company) -> None:
    # given an owner of alpha who has signed in before, from another browser
    owner = make_user(email="origins-owner@example.test", full_name="Olga Owner")
    Membership.objects.create(user=owner, company=alpha, role=Membership.Role.OWNER)
    SecurityEvent.objects.create(user=owner, kind=SecurityEvent.Kind.LOGIN, ip="10.0.0.9")
    # when every kind of email is sent
    welcome_email_send(user=owner, company=alpha)
    team.invitation_create(
        company=alpha, email="origins-invitee@example.test", role="member", actor=owner
    )
    request = RequestFactory(HTTP_HOST=f"localhost:{PORT}", HTTP_USER_AGENT="New").get("/")
    on_logged_in(sender=User, request=request, user=owner)
    expires = timezone.now() + datetime.timedelta(days=7)
    for kind in (
        "action_required", "canceled", "grace", "grace_reminder", "payment_failed",
        "read_only", "restored", "suspended", "trial_ending",
    ):  # fmt: skip
        billing_email_send(
            Message(
                company=alpha, template=kind, key=f"origins:{kind}", context={}, deadline=expires
            )
        )
    billing_email_send(
        Message(
            company=alpha,
            template="final_export",
            key="origins:final_export",
            context={"export_url": final_export_link(company=alpha, expires_at=expires)},
            deadline=expires,
        )
    )
    with schema_context(alpha.schema_name):
        Activity.objects.create(
            kind="task",
            subject="Call back",
            assignee=owner,
            due_at=timezone.now() - datetime.timedelta(minutes=1),
            contact=Contact.objects.create(last_name="Client"),
        )
        assert task_reminders_send() == 1
    host_client(f"localhost:{PORT}").post("/accounts/password/reset/", {"email": owner.email})
    host_client(f"localhost:{PORT}").post(
        "/accounts/signup/",
        {
            "email": "origins-newcomer@example.test",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
            "full_name": "Nina Newcomer",
        },
    )
    # then every link of every message is on the served origin and answers there
    links: dict[str, str] = {}
    for message in mail.outbox:
        for url in _links(message):
            links[url] = str(message.subject)
    assert len(mail.outbox) >= 16, [m.subject for m in mail.outbox]
    hosts = {urlsplit(url).netloc for url in links}
    assert hosts <= {f"localhost:{PORT}", f"alpha.localhost:{PORT}"}, links
    assert {urlsplit(url).scheme for url in links} == {"http"}
    paths = {urlsplit(url).path.split("/")[1] for url in links}
    assert {"go", "invite", "accounts", "billing"} <= paths, links
    for url, subject in links.items():
        assert _follow(url) in (200, 302), f"{url} (from “{subject}”)"
    for message in mail.outbox:
        assert "localhost:" not in message.body.split("\n", 1)[0], message.body
