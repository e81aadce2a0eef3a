"""The final export of a canceled company: a signed link, owners and admins, a ZIP of CSVs."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.final_export import final_export_link
from tenant_apps.crm.models import Activity, ActivityKind, Note, Organization
from tenant_apps.history.models import AuditEvent
from tests.conftest import host_client
from tests.tenant_apps.crm.factories import make_contacts, make_deals, make_organizations

FILES = {
    "organizations.csv",
    "contacts.csv",
    "contact_emails.csv",
    "contact_phones.csv",
    "deals.csv",
    "activities.csv",
    "notes.csv",
}


def client_for(user: User) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def path_of(company: Company, *, days: float = 7) -> str:
    link = final_export_link(company=company, expires_at=timezone.now() + timedelta(days=days))
    assert link.startswith(f"https://{company.subdomain}.localhost/export/final/")
    return urlsplit(link).path


def sheets(response: object) -> dict[str, list[dict[str, str]]]:
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        out = {}
        for name in archive.namelist():
            raw = archive.read(name)
            assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no byte order mark"
            out[name] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        return out


@pytest.mark.django_db
class TestFinalExport:
    def test_the_owner_downloads_every_record(
        self, in_alpha: Company, owner: User, alpha: Company
    ) -> None:
        # given records of every kind in alpha, one with a formula-looking name
        make_organizations(2)
        contacts = make_contacts(2)
        deals = make_deals(1)
        Organization.objects.create(name="=HYPERLINK(1)")
        meeting = Activity.objects.create(
            kind=ActivityKind.MEETING, subject="Call back", contact=contacts[0], assignee=owner
        )
        meeting.participants.create(contact=contacts[1])
        meeting.participants.create(user=owner)
        Note.objects.create(body="Met at the fair", deal=deals[0])
        # when the owner follows the link
        response = client_for(owner).get(path_of(alpha))
        # then a ZIP attachment with one CSV per kind
        assert response.status_code == 200
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"].startswith('attachment; filename="alpha-export-')
        data = sheets(response)
        assert set(data) == FILES
        names = {row["name"] for row in data["organizations.csv"]}
        assert {"Org 0", "Org 1", "Employer", "Buyer", "'=HYPERLINK(1)"} <= names
        assert data["organizations.csv"][0]["tags"] == "bulk"
        assert "id" not in data["organizations.csv"][0]
        assert "search_text" not in data["organizations.csv"][0]
        people = {row["last_name"]: row for row in data["contacts.csv"]}
        employer = contacts[0].organization
        assert employer is not None
        assert people["Person 0"]["organization_uuid"] == str(employer.uuid)
        assert len(data["contact_emails.csv"]) == 2
        assert len(data["contact_phones.csv"]) == 2
        (deal,) = data["deals.csv"]
        assert deal["stage"] == deals[0].stage.name
        assert deal["contact_uuids"] == str(deals[0].contacts.get().uuid)
        (activity,) = data["activities.csv"]
        assert (activity["subject"], activity["assignee_email"]) == ("Call back", owner.email)
        assert activity["participant_contact_uuids"] == str(contacts[1].uuid)
        assert activity["participant_emails"] == owner.email
        (note,) = data["notes.csv"]
        assert note["deal_uuid"] == str(deals[0].uuid)
        # and the download is in the company's audit log
        with schema_context("alpha"):
            assert AuditEvent.objects.filter(action="crm.final_export", actor=owner).exists()

    def test_admins_too(self, in_alpha: Company, admin: User, alpha: Company) -> None:
        response = client_for(admin).get(path_of(alpha))
        assert response.status_code == 200
        assert set(sheets(response)) == FILES

    @pytest.mark.parametrize("role", ["member", "viewer"])
    def test_members_and_viewers_are_refused(
        self, in_alpha: Company, alpha: Company, role: str, request: pytest.FixtureRequest
    ) -> None:
        user = request.getfixturevalue(role)
        response = client_for(user).get(path_of(alpha))
        assert response.status_code == 403
        assert b"owners and admins" in response.content

    def test_an_expired_link(self, in_alpha: Company, owner: User, alpha: Company) -> None:
        response = client_for(owner).get(path_of(alpha, days=-1))
        assert response.status_code == 410
        assert response.content == b"This export link has expired."

    def test_a_link_for_another_company_or_forged(
        self, in_alpha: Company, owner: User, alpha: Company, beta: Company
    ) -> None:
        client = client_for(owner)
        assert client.get(path_of(beta)).status_code == 404
        forged = path_of(alpha).rstrip("/") + "x/"
        assert client.get(forged).status_code == 404
        assert client.get("/export/final/not-a-token/").status_code == 404

    def test_a_stranger_and_a_visitor(self, alpha: Company, beta: Company) -> None:
        path = path_of(alpha)
        stranger = client_for(beta.memberships.get(role="owner").user)
        assert stranger.get(path).status_code == 404
        anonymous = host_client("alpha.localhost").get(path)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith("/accounts/login/")
