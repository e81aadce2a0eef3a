from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.models import Contact, Deal, LostReason, Pipeline, Stage
from tenant_apps.crm.services import (
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_update,
    pipeline_create,
    stage_create,
)
from tenant_apps.history.models import AuditEvent
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db


# Stage names are stored in the owner's language; positions are fixed.
POSITIONS = {"Lead": 1, "Qualified": 2, "Proposal": 3, "Negotiation": 4, "Won": 5, "Lost": 6}


def _stage(name: str) -> Stage:
    return default_pipeline().stages.get(position=POSITIONS[name])


def test_create_defaults(in_alpha: Company, member: User) -> None:
    contact = Contact.objects.create(last_name="Buyer")
    deal = deal_create(
        actor=member,
        name="<b>Big</b>",
        pipeline=default_pipeline(),
        amount="1250,50",
        contacts=[contact],
        expected_close_date="2027-01-31",
    )
    deal.refresh_from_db()
    assert deal.name == "<b>Big</b>"
    assert deal.amount == Decimal("1250.50")
    assert deal.currency == "EUR"
    assert deal.stage == _stage("Lead")
    assert deal.status == "open"
    assert deal.stage_changed_at is not None
    assert list(deal.contacts.all()) == [contact]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "e1"}, "currency"),
        ({"currency": "EUO"}, "currency"),  # the right shape, but no such currency
        ({"expected_close_date": "2027-02-30"}, "expected_close_date"),
    ],
)
def test_bad_input(in_alpha: Company, member: User, kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=member, name="Bad", pipeline=default_pipeline(), **kwargs)
    assert field in exc.value.message_dict
    assert not Deal.objects.filter(name="Bad").exists()


@pytest.mark.parametrize("currency", ["BGN", "USD", "GBP", "RON"])
def test_currencies_in_use_and_the_lev_are_accepted(
    in_alpha: Company, member: User, currency: str
) -> None:
    deal = deal_create(actor=member, name="Ok", pipeline=default_pipeline(), currency=currency)
    assert deal.currency == currency


def test_stage_of_another_pipeline_is_refused(in_alpha: Company, admin: User) -> None:
    other = pipeline_create(actor=admin, name="Partners")
    foreign = stage_create(actor=admin, pipeline=other, name="Intro")
    with pytest.raises(ValidationError) as exc:
        deal_create(actor=admin, name="X", pipeline=default_pipeline(), stage=foreign)
    assert "stage" in exc.value.message_dict
    deal = deal_create(actor=admin, name="Y", pipeline=default_pipeline())
    with pytest.raises(ValidationError) as exc:
        deal_move_stage(deal=deal, stage=foreign, actor=admin)
    assert "stage" in exc.value.message_dict
    with pytest.raises(ValidationError):
        deal_update(deal=deal, actor=admin, expected_version=1, stage=foreign)
    deal.refresh_from_db()
    assert deal.stage == _stage("Lead")


def test_move_stage_sets_status_and_audits(in_alpha: Company, member: User, viewer: User) -> None:
    deal = deal_create(actor=member, name="Move", pipeline=default_pipeline())
    first_change = deal.stage_changed_at
    with pytest.raises(PermissionDenied):
        deal_move_stage(deal=deal, stage=_stage("Won"), actor=viewer)
    deal = deal_move_stage(deal=deal, stage=_stage("Won"), actor=member)
    assert (deal.status, deal.version) == ("won", 2)
    assert deal.stage_changed_at is not None
    assert first_change is not None
    assert deal.stage_changed_at > first_change
    reason = LostReason.objects.filter(archived=False).first()  # seeded at provisioning
    deal = deal_move_stage(
        deal=deal,
        stage=_stage("Lost"),
        actor=member,
        lost_reason="Price",
        lost_reason_choice=reason,
    )
    assert (deal.status, deal.lost_reason) == ("lost", "Price")
    deal = deal_move_stage(deal=deal, stage=_stage("Proposal"), actor=member)
    assert deal.status == "open"
    event = AuditEvent.objects.filter(action="crm.deal.stage_moved").latest("id")
    assert event.changes["stage"] == [_stage("Lost").pk, _stage("Proposal").pk]
    assert event.changes["status"] == ["lost", "open"]
    # A move from a board opened before another edit is stale.
    with pytest.raises(ValidationError):
        deal_move_stage(deal=deal, stage=_stage("Lead"), actor=member, expected_version=1)


def test_delete_needs_admin(in_alpha: Company, member: User, admin: User) -> None:
    deal = deal_create(actor=member, name="D", pipeline=default_pipeline())
    with pytest.raises(PermissionDenied):
        deal_delete(deal=deal, actor=member)
    assert deal_delete(deal=deal, actor=admin).deleted_at is not None


def test_pipeline_rules(in_alpha: Company, member: User, admin: User) -> None:
    with pytest.raises(PermissionDenied):
        pipeline_create(actor=member, name="No")
    old_default = default_pipeline()
    new = pipeline_create(actor=admin, name="New default", is_default=True)
    old_default.refresh_from_db()
    assert (new.is_default, old_default.is_default) == (True, False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pipeline.objects.filter(pk=old_default.pk).update(is_default=True)

    with pytest.raises(ValidationError) as exc:
        stage_create(actor=admin, pipeline=new, name="Bad", win_probability=101)
    assert "win_probability" in exc.value.message_dict
    with pytest.raises(ValidationError):
        stage_create(actor=admin, pipeline=new, name="Both", is_won=True, is_lost=True)
    first = stage_create(actor=admin, pipeline=new, name="One")
    second = stage_create(actor=admin, pipeline=new, name="Two")
    assert (first.position, second.position) == (1, 2)
    with pytest.raises(ValidationError):
        stage_create(actor=admin, pipeline=new, name="Clash", position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stage.objects.filter(pk=second.pk).update(is_won=True, is_lost=True)
