"""Bulk actions, saved views and the CSV export of the lists."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, Organization, SavedView, Tag
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import make_contacts, make_deals, member_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]


def _bulk(client: Client, data: dict, url: str = "/contacts/?sort=name") -> Any:
    return client.post(url, {"op": "bulk", **data})


# -- bulk actions -------------------------------------------------------------------------


def test_bulk_assign_owner_and_tags(
    in_alpha: Company, member: User, admin: User, client_for: ClientFor
) -> None:
    contacts = make_contacts(3)
    ids = [c.pk for c in contacts[:2]]
    client = client_for(member)
    response = _bulk(client, {"action": "owner", "ids": ids, "owner": admin.pk})
    assert response.status_code == 302
    assert response["Location"] == "/contacts/?sort=name"
    assert (
        list(Contact.objects.filter(owner=admin).values_list("pk", flat=True).order_by("pk")) == ids
    )
    assert Contact.objects.get(pk=ids[0]).version == 2
    events = AuditEvent.objects.filter(
        action="crm.contact.updated", object_id__in=[str(i) for i in ids]
    )
    assert events.count() == 2
    assert events.first().changes == {"owner": [None, admin.pk]}  # type: ignore[union-attr]

    vip = Tag.objects.create(name="VIP")
    assert _bulk(client, {"action": "tag_add", "ids": ids, "tag": vip.pk}).status_code == 302
    assert set(vip.contacts.values_list("pk", flat=True)) == set(ids)
    assert AuditEvent.objects.filter(action="crm.contact.tag_added").count() == 2
    assert _bulk(client, {"action": "tag_remove", "ids": ids, "tag": vip.pk}).status_code == 302
    assert not vip.contacts.exists()
    assert AuditEvent.objects.filter(action="crm.contact.tag_removed").count() == 2


def test_bulk_is_all_or_nothing(
    in_alpha: Company, member: User, admin: User, client_for: ClientFor
) -> None:
    contacts = make_contacts(2)
    gone = Contact.objects.create(last_name="Gone")
    gone_pk = gone.pk
    gone.delete()
    client = client_for(member)
    ids = [contacts[0].pk, contacts[1].pk, gone_pk]
    response = _bulk(client, {"action": "owner", "ids": ids, "owner": admin.pk})
    assert response.status_code == 400
    assert "no longer exist" in response.content.decode()
    assert not Contact.objects.filter(owner=admin).exists()
    assert not AuditEvent.objects.filter(action="crm.contact.updated").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "owner", "ids": [], "owner": ""}, "ids"),
        ({"action": "owner", "ids": ["x"]}, "ids"),
        ({"action": "tag_add", "ids": ["1"]}, "tag"),
        ({"action": "tag_add", "ids": ["1"], "tag": "999999"}, "tag"),
        ({"action": "owner", "ids": ["1"], "owner": "999999"}, "owner"),
        ({"action": "explode", "ids": ["1"]}, "action"),
    ],
)
def test_bulk_bad_input(
    in_alpha: Company, member: User, client_for: ClientFor, data: dict, field: str
) -> None:
    make_contacts(1)
    response = _bulk(client_for(member), data)
    assert response.status_code == 400
    assert field in response.context["bulk_form"].errors


def test_bulk_roles(
    in_alpha: Company, member: User, admin: User, viewer: User, client_for: ClientFor
) -> None:
    contacts = make_contacts(2)
    ids = [c.pk for c in contacts]
    # viewers see no bulk form and are refused anyway
    viewer_client = client_for(viewer)
    assert viewer_client.get("/contacts/").context["bulk_form"] is None
    response = _bulk(viewer_client, {"action": "owner", "ids": ids, "owner": viewer.pk})
    assert response.status_code == 403
    assert _bulk(viewer_client, {"action": "owner", "ids": ["x"]}).status_code == 403
    # and activities have no bulk actions at all
    assert (
        _bulk(client_for(member), {"action": "delete", "ids": ids}, "/activities/").status_code
        == 403
    )
    assert not Contact.objects.filter(owner__isnull=False).exists()
    # members cannot delete: the action is not offered, and refused
    member_client = client_for(member)
    choices = dict(member_client.get("/contacts/").context["bulk_form"].fields["action"].choices)
    assert "delete" not in choices
    assert "owner" in choices
    assert _bulk(member_client, {"action": "delete", "ids": ids}).status_code == 403
    assert Contact.objects.filter(deleted_at__isnull=True).count() == 2
    # admins delete (soft), one audit row each
    assert _bulk(client_for(admin), {"action": "delete", "ids": ids}).status_code == 302
    assert Contact.objects.filter(deleted_at__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="crm.contact.deleted").count() == 2
    assert client_for(admin).get("/contacts/").context["total"] == 0


def test_bulk_on_deals_and_organizations(
    in_alpha: Company, admin: User, member: User, client_for: ClientFor
) -> None:
    deals = make_deals(2)
    client = client_for(admin)
    ids = [d.pk for d in deals]
    url = "/deals/"
    assert (
        _bulk(client, {"action": "owner", "ids": ids, "owner": member.pk}, url).status_code == 302
    )
    assert Deal.objects.filter(owner=member).count() == 2
    # deals have no tags: the tag actions are not there
    response = _bulk(client, {"action": "tag_add", "ids": ids, "tag": "1"}, url)
    assert response.status_code == 400
    org = Organization.objects.create(name="Acme")
    url = "/organizations/"
    assert _bulk(client, {"action": "delete", "ids": [org.pk]}, url).status_code == 302
    org.refresh_from_db()
    assert org.deleted_at is not None


# -- saved views --------------------------------------------------------------------------


def test_saved_views_private_and_shared(
    in_alpha: Company, alpha: Company, member: User, client_for: ClientFor
) -> None:
    other = member_of(alpha, "member")
    mine, theirs = client_for(member), client_for(other)
    response = mine.post(
        "/contacts/?lifecycle_stage=customer&sort=-created_at&cols=name,email&after=abc",
        {"op": "view_save", "name": "Customers"},
    )
    assert response.status_code == 302
    view = SavedView.objects.get(name="Customers")
    assert view.owner_id == member.pk
    assert not view.shared
    # paging is not part of a view
    assert view.query == {
        "lifecycle_stage": ["customer"],
        "sort": ["-created_at"],
        "cols": ["name,email"],
    }
    assert response["Location"].startswith("/contacts/?")
    assert AuditEvent.objects.filter(action="crm.saved_view.created").count() == 1
    page = mine.get(response["Location"])
    assert [v.name for v, _url in page.context["my_views"]] == ["Customers"]
    assert page.context["state"].sort == "-created_at"
    assert theirs.get("/contacts/").context["shared_views"] == []
    # shared: the other member sees it, and cannot delete it
    mine.post("/contacts/", {"op": "view_save", "name": "Team", "shared": "on"})
    shared = SavedView.objects.get(name="Team")
    assert [v.name for v, _url in theirs.get("/contacts/").context["shared_views"]] == ["Team"]
    response = theirs.post("/contacts/", {"op": "view_delete", "view": shared.pk})
    assert response.status_code == 403
    assert SavedView.objects.filter(pk=shared.pk).exists()
    # nor rename it; nor see the private one at all
    response = theirs.post("/contacts/", {"op": "view_rename", "view": shared.pk, "name": "X"})
    assert response.status_code == 403
    response = theirs.post("/contacts/", {"op": "view_delete", "view": view.pk})
    assert response.status_code == 400
    assert SavedView.objects.filter(pk=view.pk).exists()
    # other lists do not show contact views
    assert mine.get("/deals/").context["my_views"] == []


def test_saved_view_rename_delete_and_duplicates(
    in_alpha: Company, member: User, admin: User, client_for: ClientFor
) -> None:
    client = client_for(member)
    client.post("/contacts/", {"op": "view_save", "name": "Mine"})
    client.post("/contacts/", {"op": "view_save", "name": "Shared one", "shared": "on"})
    response = client.post("/contacts/", {"op": "view_save", "name": "  mine "})
    assert response.status_code == 400
    assert response.context["save_form"].errors["name"]
    assert "already have a view" in response.content.decode()
    response = client.post("/contacts/", {"op": "view_save", "name": ""})
    assert response.status_code == 400
    view = SavedView.objects.get(name="Mine")
    response = client.post(
        "/contacts/", {"op": "view_rename", "view": view.pk, "name": "Shared ONE"}
    )
    assert response.status_code == 400
    assert (
        client.post(
            "/contacts/", {"op": "view_rename", "view": view.pk, "name": "Renamed"}
        ).status_code
        == 302
    )
    view.refresh_from_db()
    assert view.name == "Renamed"
    assert AuditEvent.objects.filter(action="crm.saved_view.renamed").count() == 1
    assert client.post("/contacts/", {"op": "view_delete", "view": view.pk}).status_code == 302
    assert not SavedView.objects.filter(pk=view.pk).exists()
    # an admin may delete someone's shared view
    shared = SavedView.objects.get(name="Shared one")
    assert (
        client_for(admin).post("/contacts/", {"op": "view_delete", "view": shared.pk}).status_code
        == 302
    )
    assert AuditEvent.objects.filter(action="crm.saved_view.deleted").count() == 2


def test_viewer_keeps_private_views_only(
    in_alpha: Company, viewer: User, client_for: ClientFor
) -> None:
    client = client_for(viewer)
    assert client.post("/contacts/", {"op": "view_save", "name": "Mine"}).status_code == 302
    response = client.post("/contacts/", {"op": "view_save", "name": "Ours", "shared": "on"})
    assert response.status_code == 403
    assert not SavedView.objects.filter(name="Ours").exists()


def test_unknown_post_op(in_alpha: Company, member: User, client_for: ClientFor) -> None:
    assert client_for(member).post("/contacts/", {"op": "nope"}).status_code == 400


# -- CSV export ---------------------------------------------------------------------------


def _csv(client: Client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    assert raw.startswith("\ufeff")
    return list(csv.reader(io.StringIO(raw[1:])))


def test_csv_export(in_alpha: Company, viewer: User, client_for: ClientFor) -> None:
    Contact.objects.create(first_name="Иван", last_name="Петров", job_title='Boss, "big"')
    Contact.objects.create(last_name='=HYPERLINK("http://x")', job_title="+1 555")
    Contact.objects.create(last_name="@SUM(A1)", job_title="-2", source="\tx")
    Contact.objects.create(last_name="Zed", job_title="lead", lifecycle_stage="customer")
    client = client_for(viewer)  # viewers may export
    rows = _csv(
        client, "/contacts/export/?cols=name,job_title,source&sort=name&lifecycle_stage=lead"
    )
    assert rows[0] == ["Name", "Job title", "Source"] or len(rows[0]) == 3
    assert rows[1:] == [
        ['\'=HYPERLINK("http://x")', "'+1 555", ""],
        ["'@SUM(A1)", "'-2", "'\tx"],
        ["Иван Петров", 'Boss, "big"', ""],
    ]
    event = AuditEvent.objects.get(action="crm.export")
    assert event.actor_id == viewer.pk
    assert event.object_type == "crm.contact"
    assert "lifecycle_stage=lead" in event.changes["query"][1]


def test_csv_export_all_pages_in_order(
    in_alpha: Company, member: User, client_for: ClientFor
) -> None:
    Contact.objects.bulk_create(Contact(last_name=f"P{i:04d}") for i in range(1203))
    rows = _csv(client_for(member), "/contacts/export/?cols=last_name&sort=-last_name")
    assert len(rows) == 1204
    assert [r[0] for r in rows[1:4]] == ["P1202", "P1201", "P1200"]
    assert rows[-1] == ["P0000"]


def test_csv_export_refuses_bad_filters(
    in_alpha: Company, member: User, client_for: ClientFor
) -> None:
    Contact.objects.create(last_name="Anyone")
    response = client_for(member).get("/contacts/export/?created_from=soon&sort=nope")
    assert response.status_code == 400
    assert "created_from" in response.content.decode()
    assert not AuditEvent.objects.filter(action="crm.export").exists()
