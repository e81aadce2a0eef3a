"""The platform admin's index, organised for the platform owner."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from saas.admin_site import PlatformAdminSite
from tests.conftest import host_client
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(email="staff@platform.test", is_staff=True, is_superuser=True))
    return client


def test_the_default_site_is_the_platform_site() -> None:
    assert isinstance(admin.site, PlatformAdminSite)


def test_index_order_and_grouping(admin_client: Client) -> None:
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    apps = response.context["app_list"]
    labels = [app["app_label"] for app in apps]
    names = [app["name"] for app in apps]
    # companies, people, plans and revenue first, then the audit logs; Stripe's sync last
    assert names[:3] == ["Companies", "People", "Plans and revenue"]
    assert labels[3] == "audit"
    assert labels[-1] == "djstripe"
    assert names[-1] == "Stripe (synced)"
    assert len(apps[-1]["models"]) > 30
    # no app twice, no dj-stripe model outside its heading
    assert len(labels) == len(set(labels))
    assert all(model["model"]._meta.app_label == "djstripe" for model in apps[-1]["models"])
    assert not any(
        model["model"]._meta.app_label == "djstripe" for app in apps[:-1] for model in app["models"]
    )
    # the headings appear in that order on the page
    body = response.content.decode()
    positions = [
        body.index(f">{name}</a>")
        for name in ("Companies", "People", "Plans and revenue", "Stripe (synced)")
    ]
    assert positions == sorted(positions)


def test_index_links_the_billing_overview(admin_client: Client) -> None:
    body = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/billing/companybilling/overview/"' in body
    assert body.index("/admin/billing/companybilling/overview/") < body.index(">Companies</a>")
    assert admin_client.get("/admin/billing/companybilling/overview/").status_code == 200


def test_app_pages_use_the_same_headings(admin_client: Client) -> None:
    response = admin_client.get("/admin/djstripe/")
    assert response.status_code == 200
    assert [app["name"] for app in response.context["app_list"]] == ["Stripe (synced)"]


def test_the_overview_link_needs_the_billing_permission() -> None:
    client = host_client("localhost", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(email="helpdesk@platform.test", is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "/admin/billing/companybilling/overview/" not in response.content.decode()
