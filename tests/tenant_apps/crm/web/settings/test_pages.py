"""CRM settings pages: roles, every form's happy path and bad input (400, field errors in
the user's language, nothing saved), query counts and isolation."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, CustomField, Deal, Organization, Pipeline, Stage, Tag
from tenant_apps.history.models import AuditEvent
from tests.conftest import client_for
from tests.query_budget import PAGE_BASELINE, page_queries
from tests.tenant_apps.crm.factories import default_pipeline, make_deals

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
PAGES = [
    "/settings/crm/",
    "/settings/crm/pipelines/",
    "/settings/crm/fields/",
    "/settings/crm/tags/",
]


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_get_403(in_alpha: Company, role: str) -> None:
    from tests.tenant_apps.crm.factories import member_of

    client = client_for(member_of(in_alpha, role))
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403
        assert "Only the company&#x27;s owners and admins can change these settings." in (
            response.content.decode()
        )
    assert (
        client.post(
            "/settings/crm/tags/new/", {"new-name": "x", "new-color": "#000000"}
        ).status_code
        == 403
    )
    assert not Tag.objects.filter(name="x").exists()


@pytest.mark.parametrize("path", PAGES)
def test_admins_open_every_page(in_alpha: Company, admin: User, path: str) -> None:
    assert client_for(admin).get(path).status_code == 200


class TestPipelinePages:
    def test_create_rename_default_delete(self, in_alpha: Company, admin: User) -> None:
        client = client_for(admin)
        response = client.post("/settings/crm/pipelines/new/", {"name": XSS})
        pipeline = Pipeline.objects.get(name=XSS)
        assert response.status_code == 302
        assert response["Location"] == f"/settings/crm/pipelines/{pipeline.pk}/"
        page = client.get(response["Location"]).content.decode()
        assert XSS not in page
        assert "&lt;script&gt;" in page
        assert (
            client.post(
                f"/settings/crm/pipelines/{pipeline.pk}/rename/", {"name": "Партньори"}
            ).status_code
            == 302
        )
        pipeline.refresh_from_db()
        assert pipeline.name == "Партньори"
        client.post(f"/settings/crm/pipelines/{pipeline.pk}/default/")
        pipeline.refresh_from_db()
        assert pipeline.is_default
        # the default cannot be deleted: 400 with the reason
        response = client.post(f"/settings/crm/pipelines/{pipeline.pk}/delete/")
        assert response.status_code == 400
        assert "make another one the default first" in response.content.decode()
        other = Pipeline.objects.exclude(pk=pipeline.pk).first()
        assert other is not None
        client.post(f"/settings/crm/pipelines/{other.pk}/default/")
        assert client.post(f"/settings/crm/pipelines/{pipeline.pk}/delete/").status_code == 302
        assert not Pipeline.objects.filter(pk=pipeline.pk).exists()

    def test_delete_with_deals_is_refused(self, in_alpha: Company, admin: User) -> None:
        client = client_for(admin)
        client.post("/settings/crm/pipelines/new/", {"name": "P2"})
        p2 = Pipeline.objects.get(name="P2")
        stage = Stage.objects.create(pipeline=p2, name="S", position=1)
        Deal.objects.create(name="D", pipeline=p2, stage=stage)
        response = client.post(f"/settings/crm/pipelines/{p2.pk}/delete/")
        assert response.status_code == 400
        assert "This pipeline has 1 deal" in response.content.decode()
        assert Pipeline.objects.filter(pk=p2.pk).exists()

    def test_bad_pipeline_name(self, in_alpha: Company, admin: User) -> None:
        count = Pipeline.objects.count()
        response = client_for(admin).post("/settings/crm/pipelines/new/", {"name": "x" * 101})
        assert response.status_code == 400
        assert "name" in response.context["form"].errors
        assert Pipeline.objects.count() == count

    def test_bulgarian_errors(self, in_alpha: Company, admin: User) -> None:
        client = client_for(admin, language="bg")
        response = client.post(
            "/settings/crm/pipelines/new/", {"name": ""}, HTTP_ACCEPT_LANGUAGE="bg"
        )
        assert response.status_code == 400
        assert "Това поле е задължително." in response.content.decode()


class TestStagePages:
    def test_add_edit_move_delete(self, in_alpha: Company, owner: User) -> None:
        client = client_for(owner)
        pipeline = default_pipeline()
        base = f"/settings/crm/pipelines/{pipeline.pk}/"
        response = client.post(
            base + "stages/new/",
            {"new-name": "Demo", "new-win_probability": "40", "new-marker": "open"},
        )
        assert response.status_code == 302
        stage = Stage.objects.get(pipeline=pipeline, name="Demo")
        assert stage.position == pipeline.stages.count()
        response = client.post(
            f"/settings/crm/stages/{stage.pk}/",
            {
                f"stage-{stage.pk}-name": "Demo call",
                f"stage-{stage.pk}-win_probability": "45",
                f"stage-{stage.pk}-marker": "lost",
            },
        )
        assert response.status_code == 302
        stage.refresh_from_db()
        assert (stage.name, stage.win_probability, stage.is_lost, stage.is_won) == (
            "Demo call",
            45,
            True,
            False,
        )
        before = stage.position
        assert (
            client.post(f"/settings/crm/stages/{stage.pk}/move/", {"direction": "up"}).status_code
            == 302
        )
        stage.refresh_from_db()
        assert stage.position < before
        assert client.post(f"/settings/crm/stages/{stage.pk}/delete/").status_code == 302
        assert not Stage.objects.filter(pk=stage.pk).exists()

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"name": "", "win_probability": "10", "marker": "open"}, "name"),
            ({"name": "N", "win_probability": "101", "marker": "open"}, "win_probability"),
            ({"name": "N", "win_probability": "-1", "marker": "open"}, "win_probability"),
            ({"name": "N", "win_probability": "ten", "marker": "open"}, "win_probability"),
            ({"name": "N", "win_probability": "10", "marker": "both"}, "marker"),
        ],
    )
    def test_bad_stage_input(
        self, in_alpha: Company, admin: User, data: dict[str, str], field: str
    ) -> None:
        stage = default_pipeline().stages.order_by("position").first()
        assert stage is not None
        prefix = f"stage-{stage.pk}-"
        response = client_for(admin).post(
            f"/settings/crm/stages/{stage.pk}/", {prefix + k: v for k, v in data.items()}
        )
        assert response.status_code == 400
        row = next(r for r in response.context["rows"] if r["stage"].pk == stage.pk)
        assert field in row["form"].errors
        fresh = Stage.objects.get(pk=stage.pk)
        assert (fresh.name, fresh.win_probability) == (stage.name, stage.win_probability)

    def test_delete_with_deals_asks_where_to_move_them(
        self, in_alpha: Company, admin: User
    ) -> None:
        deals = make_deals(3)
        stage = deals[0].stage
        target = Stage.objects.filter(pipeline=stage.pipeline).exclude(pk=stage.pk).first()
        assert target is not None
        client = client_for(admin)
        response = client.post(f"/settings/crm/stages/{stage.pk}/delete/")
        assert response.status_code == 400
        assert (
            "This stage has 3 deals: choose a stage to move them to." in response.content.decode()
        )
        assert Stage.objects.filter(pk=stage.pk).exists()
        response = client.post(
            f"/settings/crm/stages/{stage.pk}/delete/", {f"delete-{stage.pk}-move_to": "999999"}
        )
        assert response.status_code == 400
        response = client.post(
            f"/settings/crm/stages/{stage.pk}/delete/",
            {f"delete-{stage.pk}-move_to": str(target.pk)},
        )
        assert response.status_code == 302
        assert Deal.objects.filter(stage=target).count() == 3

    def test_query_count_is_constant(
        self, in_alpha: Company, admin: User, django_assert_num_queries: object
    ) -> None:
        client = client_for(admin)
        pipeline = default_pipeline()
        path = f"/settings/crm/pipelines/{pipeline.pk}/"
        client.get(path)
        # pipeline; stages with deal counts; the layout's company switcher
        with page_queries(PAGE_BASELINE + 3):
            client.get(path)
        for i in range(20):
            Stage.objects.create(pipeline=pipeline, name=f"S{i}", position=100 + i)
        make_deals(10)
        with page_queries(PAGE_BASELINE + 3):
            response = client.get(path)
        assert len(response.context["rows"]) >= 26
        with page_queries(PAGE_BASELINE + 2):
            client.get("/settings/crm/pipelines/")


class TestFieldPages:
    def test_create_edit_delete(self, in_alpha: Company, admin: User) -> None:
        client = client_for(admin)
        response = client.post(
            "/settings/crm/fields/new/",
            {
                "entity": "deal",
                "key": "channels",
                "label": XSS,
                "type": "multi",
                "choices": "Email\nPhone\n\n Web ",
                "position": "",
            },
        )
        assert response.status_code == 302
        field = CustomField.objects.get(key="channels")
        assert field.choices == ["Email", "Phone", "Web"]
        page = client.get("/settings/crm/fields/").content.decode()
        assert XSS not in page
        response = client.post(
            f"/settings/crm/fields/{field.pk}/",
            {"label": "Channels", "required": "on", "choices": "Email\nWeb", "position": "2"},
        )
        assert response.status_code == 302
        field.refresh_from_db()
        assert (field.label, field.required, field.choices, field.position) == (
            "Channels",
            True,
            ["Email", "Web"],
            2,
        )
        assert client.post(f"/settings/crm/fields/{field.pk}/delete/").status_code == 302
        assert not CustomField.objects.filter(pk=field.pk).exists()
        assert AuditEvent.objects.filter(
            action="crm.custom_field.deleted", object_id=str(field.pk)
        ).exists()

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"key": "with space"}, "key"),
            ({"type": "choice", "choices": ""}, "choices"),
            ({"type": "multi", "choices": "A\na"}, "choices"),
            ({"type": "blob"}, "type"),
            ({"entity": "invoice"}, "entity"),
            ({"label": ""}, "label"),
            ({"position": "-3"}, "position"),
            ({"key": "dup"}, "key"),
        ],
    )
    def test_bad_field_input(
        self, in_alpha: Company, admin: User, data: dict[str, str], field: str
    ) -> None:
        CustomField.objects.create(entity="contact", key="dup", label="Dup", type="text")
        base = {
            "entity": "contact",
            "key": "k1",
            "label": "L",
            "type": "text",
            "choices": "",
            "position": "",
        }
        response = client_for(admin).post("/settings/crm/fields/new/", base | data)
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert CustomField.objects.count() == 1

    def test_query_count_is_constant(
        self, in_alpha: Company, admin: User, django_assert_num_queries: object
    ) -> None:
        client = client_for(admin)
        client.get("/settings/crm/fields/")
        with page_queries(PAGE_BASELINE + 2):
            client.get("/settings/crm/fields/")
        for i in range(30):
            CustomField.objects.create(
                entity=["deal", "contact", "organization"][i % 3],
                key=f"f{i}",
                label=f"F{i}",
                type="text",
            )
        with page_queries(PAGE_BASELINE + 2):
            client.get("/settings/crm/fields/")


class TestTagPages:
    def test_create_rename_delete_with_counts(self, in_alpha: Company, admin: User) -> None:
        client = client_for(admin)
        assert (
            client.post(
                "/settings/crm/tags/new/", {"new-name": XSS, "new-color": "#12ab34"}
            ).status_code
            == 302
        )
        tag = Tag.objects.get(name=XSS)
        org = Organization.objects.create(name="O")
        org.tags.add(tag)
        Contact.objects.create(last_name="C").tags.add(tag)
        gone = Contact.objects.create(last_name="Gone", deleted_at=org.created_at)
        gone.tags.add(tag)
        response = client.get("/settings/crm/tags/")
        row = next(t for t, _form in response.context["rows"] if t.pk == tag.pk)
        assert (row.organization_count, row.contact_count) == (1, 1)
        html = response.content.decode()
        assert XSS not in html
        assert "style=" not in html
        p = f"tag-{tag.pk}-"
        assert (
            client.post(
                f"/settings/crm/tags/{tag.pk}/", {p + "name": "Gold", p + "color": "#000000"}
            ).status_code
            == 302
        )
        tag.refresh_from_db()
        assert (tag.name, tag.color) == ("Gold", "#000000")
        assert client.post(f"/settings/crm/tags/{tag.pk}/delete/").status_code == 302
        assert org.tags.count() == 0

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"name": "", "color": "#000000"}, "name"),
            ({"name": "X", "color": "red"}, "color"),
            ({"name": "existing", "color": "#000000"}, "name"),
        ],
    )
    def test_bad_tag_input(
        self, in_alpha: Company, admin: User, data: dict[str, str], field: str
    ) -> None:
        Tag.objects.create(name="Existing")
        response = client_for(admin).post(
            "/settings/crm/tags/new/", {f"new-{k}": v for k, v in data.items()}
        )
        assert response.status_code == 400
        assert field in response.context["form"].errors
        assert Tag.objects.count() == 1

    def test_query_count_is_constant(
        self, in_alpha: Company, admin: User, django_assert_num_queries: object
    ) -> None:
        client = client_for(admin)
        client.get("/settings/crm/tags/")
        with page_queries(PAGE_BASELINE + 2):
            client.get("/settings/crm/tags/")
        orgs = Organization.objects.bulk_create(Organization(name=f"O{i}") for i in range(5))
        for i in range(30):
            tag = Tag.objects.create(name=f"t{i}")
            tag.organizations.add(*orgs)
        with page_queries(PAGE_BASELINE + 2):
            response = client.get("/settings/crm/tags/")
        assert all(t.organization_count == 5 for t, _f in response.context["rows"])


def test_beta_configuration_never_shows(alpha: Company, beta: Company, admin: User) -> None:
    with schema_context("beta"):
        Tag.objects.create(name="beta-secret-tag")
        CustomField.objects.create(
            entity="deal", key="beta_secret", label="Beta secret", type="text"
        )
        Pipeline.objects.create(name="Beta secret pipeline")
    client: Client = client_for(admin)
    for path in PAGES:
        html = client.get(path).content.decode()
        assert "beta-secret-tag" not in html
        assert "Beta secret" not in html
    # and a beta pipeline's id does not open on alpha
    with schema_context("beta"):
        beta_pipeline = Pipeline.objects.get(name="Beta secret pipeline")
    with schema_context("alpha"):
        exists_in_alpha = Pipeline.objects.filter(pk=beta_pipeline.pk).exists()
    if not exists_in_alpha:
        assert client.get(f"/settings/crm/pipelines/{beta_pipeline.pk}/").status_code == 404


def test_pages_pass_a_strict_csp(in_alpha: Company, admin: User) -> None:
    """No inline script or style, no event-handler attributes (production's CSP forbids
    them)."""
    import re

    from tenant_apps.crm.models import Activity, Notification

    contact = Contact.objects.create(last_name="C")
    task = Activity.objects.create(kind="task", subject="T", assignee=admin, contact=contact)
    Notification.objects.create(recipient=admin, kind="task_due", title="T", activity=task)
    Tag.objects.create(name="VIP", color="#ff0000")
    CustomField.objects.create(entity="deal", key="k", label="K", type="choice", choices=["a"])
    client = client_for(admin)
    field = CustomField.objects.get()
    paths = [
        *PAGES,
        f"/settings/crm/pipelines/{default_pipeline().pk}/",
        f"/settings/crm/fields/{field.pk}/",
        "/tasks/",
        "/tasks/notifications/",
        f"/tasks/{task.pk}/edit/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert " style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "javascript:" not in html, path
