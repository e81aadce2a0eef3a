"""Configuration services: pipelines and stages, custom fields (incl. multi and url values),
tags. Roles, bad input (field errors, nothing saved) and audit rows."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, CustomField, Deal, Organization, Pipeline, Stage, Tag
from tenant_apps.crm.services.common import custom_fields_clean
from tenant_apps.crm.services.custom_fields import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
)
from tenant_apps.crm.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipeline_set_default,
    pipeline_update,
    stage_create,
    stage_delete,
    stage_move,
    stage_update,
)
from tenant_apps.crm.services.tags import tag_create, tag_delete, tag_update
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import default_pipeline, make_deals

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def audit(action: str, target: object) -> AuditEvent:
    return AuditEvent.objects.get(action=action, object_id=str(target.pk))  # type: ignore[attr-defined]


class TestPipelines:
    def test_members_cannot_configure(self, in_alpha: Company, member: User) -> None:
        with pytest.raises(PermissionDenied):
            pipeline_create(actor=member, name="X")
        with pytest.raises(PermissionDenied):
            pipeline_update(pipeline=default_pipeline(), actor=member, name="X")

    def test_rename_and_default(self, in_alpha: Company, admin: User) -> None:
        old_default = default_pipeline()
        p = pipeline_create(actor=admin, name="  Partners ")
        assert p.name == "Partners"
        pipeline_update(pipeline=p, actor=admin, name="Resellers")
        assert audit("crm.pipeline.updated", p).changes == {"name": ["Partners", "Resellers"]}
        pipeline_set_default(pipeline=p, actor=admin)
        assert Pipeline.objects.get(is_default=True) == p
        old_default.refresh_from_db()
        assert not old_default.is_default
        with pytest.raises(ValidationError) as exc:
            pipeline_update(pipeline=p, actor=admin, name="  ")
        assert "name" in exc.value.message_dict

    def test_delete_refused_with_deals_or_as_default(self, in_alpha: Company, admin: User) -> None:
        with pytest.raises(ValidationError, match="default pipeline"):
            pipeline_delete(pipeline=default_pipeline(), actor=admin)
        p = pipeline_create(actor=admin, name="Other")
        stage = stage_create(actor=admin, pipeline=p, name="Only")
        deal = Deal.objects.create(
            name="D", pipeline=p, stage=stage, deleted_at=timezone.now(), amount=Decimal(1)
        )
        with pytest.raises(ValidationError, match="1 deal"):
            pipeline_delete(pipeline=p, actor=admin)
        deal.delete()
        pipeline_delete(pipeline=p, actor=admin)
        assert not Pipeline.objects.filter(pk=p.pk).exists()
        assert not Stage.objects.filter(pk=stage.pk).exists()
        assert audit("crm.pipeline.deleted", p).changes == {"name": ["Other", None]}


class TestStages:
    def test_update_marker_recloses_its_deals(self, in_alpha: Company, admin: User) -> None:
        deals = make_deals(2)
        stage = deals[0].stage
        with pytest.raises(ValidationError) as exc:
            stage_update(stage=stage, actor=admin, win_probability=101)
        assert "win_probability" in exc.value.message_dict
        with pytest.raises(ValidationError):
            stage_update(stage=stage, actor=admin, is_won=True, is_lost=True)
        stage_update(stage=stage, actor=admin, name="Closed", is_won=True, win_probability=100)
        for deal in deals:
            deal.refresh_from_db()
            assert deal.status == "won"
            assert deal.version == 2
        changes = audit("crm.stage.updated", stage).changes
        assert changes["name"][1] == "Closed"
        assert changes["deals_status"] == [None, {"status": "won", "deals": 2}]

    def test_move_up_and_down(self, in_alpha: Company, admin: User) -> None:
        pipeline = default_pipeline()
        names = lambda: list(pipeline.stages.order_by("position").values_list("name", flat=True))  # noqa: E731
        before = names()
        second = pipeline.stages.order_by("position")[1]
        stage_move(stage=second, actor=admin, direction="up")
        assert names() == [before[1], before[0], *before[2:]]
        stage_move(stage=second, actor=admin, direction="up")  # already first: nothing
        assert names() == [before[1], before[0], *before[2:]]
        stage_move(stage=second, actor=admin, direction="down")
        assert names() == before
        with pytest.raises(ValidationError):
            stage_move(stage=second, actor=admin, direction="sideways")

    def test_delete_needs_a_destination_for_its_deals(self, in_alpha: Company, admin: User) -> None:
        deals = make_deals(2)
        stage = deals[0].stage
        won = Stage.objects.get(pipeline=stage.pipeline, is_won=True)
        with pytest.raises(ValidationError) as exc:
            stage_delete(stage=stage, actor=admin)
        assert "2 deals" in exc.value.message_dict["move_to"][0]
        with pytest.raises(ValidationError):
            stage_delete(stage=stage, actor=admin, move_to=stage)
        other = pipeline_create(actor=admin, name="Other")
        elsewhere = stage_create(actor=admin, pipeline=other, name="E")
        with pytest.raises(ValidationError):
            stage_delete(stage=stage, actor=admin, move_to=elsewhere)
        assert Stage.objects.filter(pk=stage.pk).exists()
        stage_delete(stage=stage, actor=admin, move_to=won)
        assert not Stage.objects.filter(pk=stage.pk).exists()
        for deal in deals:
            deal.refresh_from_db()
            assert (deal.stage_id, deal.status) == (won.pk, "won")
            assert audit("crm.deal.stage_moved", deal).changes == {"stage": [stage.pk, won.pk]}
        # the last stage of a pipeline stays
        with pytest.raises(ValidationError, match="at least one stage"):
            stage_delete(stage=elsewhere, actor=admin)

    def test_empty_stage_deletes_at_once(self, in_alpha: Company, owner: User) -> None:
        stage = stage_create(actor=owner, pipeline=default_pipeline(), name="Temp")
        stage_delete(stage=stage, actor=owner)
        assert audit("crm.stage.deleted", stage).changes == {"name": ["Temp", None]}


class TestCustomFields:
    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"key": "bad key!"}, "key"),
            ({"key": ""}, "key"),
            ({"label": ""}, "label"),
            ({"type": "colour"}, "type"),
            ({"entity": "invoice"}, "entity"),
            ({"type": "choice", "choices": []}, "choices"),
            ({"type": "multi", "choices": [" ", ""]}, "choices"),
            ({"type": "multi", "choices": ["A", "a"]}, "choices"),
        ],
    )
    def test_bad_definitions(
        self, in_alpha: Company, admin: User, kwargs: dict, field: str
    ) -> None:
        base = {"entity": "deal", "key": "k", "label": "L", "type": "text"} | kwargs
        with pytest.raises(ValidationError) as exc:
            custom_field_create(actor=admin, **base)
        assert field in exc.value.message_dict
        assert not CustomField.objects.exists()

    def test_key_unique_per_type(self, in_alpha: Company, admin: User) -> None:
        custom_field_create(actor=admin, entity="deal", key="Source", label="S", type="text")
        with pytest.raises(ValidationError) as exc:
            custom_field_create(actor=admin, entity="deal", key="source", label="S2", type="text")
        assert exc.value.message_dict["key"] == [
            "This object type already has a field with this key."
        ]
        custom_field_create(actor=admin, entity="contact", key="source", label="S", type="text")

    def test_multi_and_url_values(self, in_alpha: Company, admin: User) -> None:
        custom_field_create(
            actor=admin,
            entity="organization",
            key="langs",
            label="Languages",
            type="multi",
            choices=["bg", "en", "de"],
        )
        custom_field_create(
            actor=admin, entity="organization", key="site", label="Site", type="url"
        )
        ok = custom_fields_clean(
            entity="organization", values={"langs": ["en", "bg"], "site": " https://x.test/a "}
        )
        assert ok == {"langs": ["bg", "en"], "site": "https://x.test/a"}
        for bad in (
            {"langs": ["fr"]},
            {"langs": ["bg", "bg"]},
            {"langs": "bg"},
            {"langs": [1]},
            {"site": "javascript:alert(1)"},
            {"site": "ftp://x.test"},
            {"site": "nope"},
            {"site": 5},
        ):
            with pytest.raises(ValidationError) as exc:
                custom_fields_clean(entity="organization", values=bad)
            key = next(iter(bad))
            assert f"custom_fields.{key}" in exc.value.message_dict

    def test_update_and_delete_removes_values(
        self, in_alpha: Company, admin: User, member: User
    ) -> None:
        field = custom_field_create(
            actor=admin,
            entity="contact",
            key="tier",
            label="Tier",
            type="choice",
            choices=["A", "B"],
        )
        with pytest.raises(PermissionDenied):
            custom_field_update(field=field, actor=member, label="X", required=False, position=0)
        custom_field_update(
            field=field,
            actor=admin,
            label="Level",
            required=True,
            choices=["A", "B", "C"],
            position=3,
        )
        field.refresh_from_db()
        assert (field.label, field.required, field.choices, field.position) == (
            "Level",
            True,
            ["A", "B", "C"],
            3,
        )
        with pytest.raises(ValidationError) as exc:
            custom_field_update(
                field=field, actor=admin, label="Level", required=True, choices=[], position=3
            )
        assert "choices" in exc.value.message_dict
        with_value = Contact.objects.create(last_name="V", custom_fields={"tier": "A", "other": 1})
        deleted = Contact.objects.create(
            last_name="D", custom_fields={"tier": "B"}, deleted_at=timezone.now()
        )
        untouched = Organization.objects.create(name="O", custom_fields={"tier": "keep"})
        assert custom_field_delete(field=field, actor=admin) == 2
        with_value.refresh_from_db()
        deleted.refresh_from_db()
        untouched.refresh_from_db()
        assert with_value.custom_fields == {"other": 1}
        assert deleted.custom_fields == {}
        assert untouched.custom_fields == {"tier": "keep"}
        assert audit("crm.custom_field.deleted", field).changes["values_removed"] == [2, None]


class TestTags:
    def test_create_rename_recolour_delete(self, in_alpha: Company, admin: User) -> None:
        tag = tag_create(actor=admin, name="  VIP   client ", color="#AABBCC")
        assert (tag.name, tag.color) == ("VIP client", "#aabbcc")
        org = Organization.objects.create(name="O")
        org.tags.add(tag)
        with pytest.raises(ValidationError) as exc:
            tag_create(actor=admin, name="vip CLIENT")
        assert "name" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            tag_update(tag=tag, actor=admin, name="", color="red")
        assert set(exc.value.message_dict) == {"name", "color"}
        tag_update(tag=tag, actor=admin, name="Gold", color="#112233")
        assert audit("crm.tag.updated", tag).changes == {
            "name": ["VIP client", "Gold"],
            "color": ["#aabbcc", "#112233"],
        }
        tag_delete(tag=tag, actor=admin)
        assert not Tag.objects.filter(pk=tag.pk).exists()
        assert org.tags.count() == 0
        assert audit("crm.tag.deleted", tag).changes["organizations"] == [1, 0]

    def test_members_cannot(self, in_alpha: Company, member: User) -> None:
        with pytest.raises(PermissionDenied):
            tag_create(actor=member, name="x")
