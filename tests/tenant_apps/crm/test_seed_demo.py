"""`seed_demo`: the small data set, determinism, and the refusals."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.demo import load
from tenant_apps.crm.demo.generate import SIZES
from tenant_apps.crm.models import Activity, Contact, ContactEmail, Deal, Note, Organization
from tenant_apps.crm.search import search
from tenant_apps.crm.services.lost_reasons import lost_reasons_seed

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 15, 12, tzinfo=datetime.UTC)


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_small_seed(alpha: Company, beta: Company) -> None:
    with schema_context("alpha"):
        lost_reasons_seed(language="bg")  # as provisioning does (a no-op when it did)
    output = _seed("--company", "alpha", "--size", "small", "--seed", "7")
    assert "Seeded alpha" in output
    owner = alpha.memberships.get(role="owner").user
    with schema_context("alpha"):
        assert Organization.objects.count() == 50
        assert Contact.objects.count() == 200
        assert Deal.objects.count() == 60
        assert Activity.objects.count() == 300
        assert Note.objects.count() == 80
        names = [f"{c.first_name} {c.last_name}" for c in Contact.objects.all()]
        assert any(any("а" <= ch <= "я" for ch in n.lower()) for n in names)  # Cyrillic
        assert any(n.isascii() for n in names)  # English
        assert Organization.objects.filter(name__endswith="ЕООД").exists()
        assert Organization.objects.filter(name__regex=r"(Ltd|Inc|LLC|GmbH)$").exists()
        assert ContactEmail.objects.filter(is_primary=True).count() == 200
        # phones and emails are in search_text the way the models write it
        contact = Contact.objects.filter(phones__isnull=False).first()
        assert contact is not None
        stored = contact.search_text
        contact.search_refresh()
        assert contact.search_text == stored
        org = Organization.objects.first()
        assert org is not None
        stored = org.search_text
        org.search_refresh()
        assert org.search_text == stored
        # deals in several stages, won and lost ones spread over months
        assert Deal.objects.values("stage").distinct().count() >= 4
        closed = Deal.objects.exclude(status="open")
        assert {"won", "lost"} <= set(closed.values_list("status", flat=True))
        months = {d.stage_changed_at.strftime("%Y-%m") for d in closed if d.stage_changed_at}
        assert len(months) >= 4
        assert all(d.stage.is_won for d in Deal.objects.filter(status="won"))
        # lost deals carry one of the company's reasons
        assert not Deal.objects.filter(status="lost", lost_reason_choice=None).exists()
        assert (
            Deal.objects.filter(currency="EUR").count()
            > Deal.objects.exclude(currency="EUR").count()
        )
        assert Deal.objects.filter(last_activity_at__isnull=False).exists()
        # overdue tasks, assigned to members
        assert Activity.objects.filter(
            kind="task", done=False, due_at__lt=datetime.datetime.now(datetime.UTC)
        ).exists()
        assert set(Activity.objects.values_list("assignee_id", flat=True)) == {owner.pk}
        assert {"task", "call", "meeting", "email"} == set(
            Activity.objects.values_list("kind", flat=True)
        )
        # logged calls, meetings and emails carry their details
        assert not Activity.objects.filter(kind="call", call_outcome="").exists()
        assert not Activity.objects.filter(kind="meeting", starts_at__isnull=True).exists()
        assert not Activity.objects.filter(kind="email", email_direction="").exists()
        # a Cyrillic name is found by its Latin spelling
        person = (
            Contact.objects.filter(first_name="Иван").first()
            or Contact.objects.filter(last_name__regex="^[А-Я]").first()
        )
        assert person is not None
        latin = person.search_text.split(" ")[1]  # the transliterated last name
        found = search(actor=owner, query=latin, limit_per_group=50).contacts
        assert person.pk in [h.pk for h in found]
        # new rows get fresh ids after the seed (sequences are ahead of the copied rows)
        assert Organization.objects.create(name="After").pk > max(
            Organization.objects.exclude(name="After").values_list("pk", flat=True)
        )
    with schema_context("beta"):
        assert not Organization.objects.exists()


def test_same_seed_same_data(alpha: Company) -> None:
    def names(seed: int) -> list[str]:
        with schema_context("alpha"):
            load.crm_data_wipe()
            load.seed(size=SIZES["small"], seed=seed, members=[1], now=NOW)
            return list(Contact.objects.order_by("id").values_list("last_name", flat=True))

    first = names(3)
    assert names(3) == first
    assert names(4) != first


def test_refuses_a_company_with_crm_data_unless_replace(alpha: Company) -> None:
    with schema_context("alpha"):
        Organization.objects.create(name="Already here")
    with pytest.raises(CommandError, match="already has CRM data"):
        _seed("--company", "alpha")
    assert "not seeding" in _seed("--company", "alpha", "--if-empty")
    with schema_context("alpha"):
        assert Organization.objects.count() == 1
    _seed("--company", "alpha", "--replace", "--seed", "2")
    with schema_context("alpha"):
        assert not Organization.objects.filter(name="Already here").exists()
        assert Organization.objects.count() == 50
    _seed("--company", "alpha", "--replace", "--seed", "2")
    with schema_context("alpha"):
        assert Organization.objects.count() == 50
        assert Contact.objects.count() == 200


def test_refuses_an_unknown_company(db: None) -> None:
    with pytest.raises(CommandError, match="no company with the subdomain 'nope'"):
        _seed("--company", "nope")


def test_owner_is_a_public_user(alpha: Company) -> None:
    _seed("--company", "alpha")
    with schema_context("alpha"):
        owners = set(Organization.objects.values_list("owner_id", flat=True))
    assert owners <= set(User.objects.values_list("pk", flat=True))
