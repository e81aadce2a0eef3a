"""Rows of demo CRM data, drawn from `names` with one seeded random generator.

The generator knows the ids the rows will get (reserved beforehand by `load`), so that it can
link contacts to organizations, deals to both, and activities and notes to any of them,
without reading anything back. Each `*_rows` method yields tuples in the column order of
the matching `COLUMNS` entry. Same seed, same members, same pipeline and same `now`: same
rows.
"""

from __future__ import annotations

import datetime
import json
import random
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tenant_apps.crm.demo import names
from tenant_apps.crm.search_text import search_document, search_normalize

Row = tuple[Any, ...]
DAY = datetime.timedelta(days=1)

_RECORD = ["id", "uuid", "created_at", "updated_at", "owner_id", "custom_fields", "version",
           "deleted_at", "search_text"]  # fmt: skip
COLUMNS: dict[str, list[str]] = {
    "organization": [*_RECORD, "name", "website", "domain", "phone", "email", "street",
                     "city", "postcode", "country", "industry", "size", "vat_number"],
    "organization_tags": ["organization_id", "tag_id"],
    "contact": [*_RECORD, "first_name", "last_name", "job_title", "organization_id",
                "lifecycle_stage", "source", "do_not_contact"],
    "contact_email": ["uuid", "created_at", "updated_at", "contact_id", "email", "is_primary"],
    "contact_phone": ["uuid", "created_at", "updated_at", "contact_id", "number", "label"],
    "contact_tags": ["contact_id", "tag_id"],
    "deal": [*_RECORD, "name", "amount", "currency", "pipeline_id", "stage_id",
             "organization_id", "expected_close_date", "status", "lost_reason",
             "stage_changed_at", "last_activity_at"],
    "deal_contacts": ["deal_id", "contact_id"],
    "activity": ["uuid", "created_at", "updated_at", "organization_id", "contact_id",
                 "deal_id", "kind", "subject", "description", "due_at", "done", "done_at",
                 "assignee_id", "reminder_sent_at", "call_outcome", "duration_minutes",
                 "starts_at", "ends_at", "location", "email_direction"],
    "note": ["uuid", "created_at", "updated_at", "organization_id", "contact_id", "deal_id",
             "body", "pinned"],
}  # fmt: skip
_CALL_OUTCOMES = ("connected", "no_answer", "voicemail", "busy", "wrong_number")
_MEETING_PLACES = ("Офис София", "Office, Plovdiv", "Video call", "Client's office", "")


@dataclass(frozen=True)
class Size:
    organizations: int
    contacts: int
    deals: int
    activities: int
    notes: int


SIZES = {
    "small": Size(organizations=50, contacts=200, deals=60, activities=300, notes=80),
    "large": Size(
        organizations=20_000, contacts=100_000, deals=20_000, activities=200_000, notes=40_000
    ),
}


@dataclass(frozen=True)
class StageInfo:
    pk: int
    is_won: bool
    is_lost: bool


@dataclass
class Context:
    """What the rows refer to: existing members, pipeline, tags, custom fields, first ids."""

    members: Sequence[int]
    pipeline: int
    stages: Sequence[StageInfo]  # in pipeline order
    tags: Sequence[int]
    # entity -> keys of the custom fields whose definition matches names.CUSTOM_FIELDS
    custom_fields: dict[str, set[str]]
    first_id: dict[str, int] = field(default_factory=dict)  # organization, contact, deal


@dataclass
class _Org:
    name: str
    short: str
    domain: str
    bulgarian: bool


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", search_normalize(text))


def _female(surname: str) -> str:
    return surname[:-1] + "а" if surname.endswith("ски") else surname + "а"


class DemoGenerator:
    def __init__(self, *, seed: int, size: Size, context: Context, now: datetime.datetime):
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by design
        self.size = size
        self.ctx = context
        self.now = now
        self.orgs: list[_Org] = []
        self.contacts_by_org: dict[int, list[int]] = {}
        self.contact_org: list[int | None] = []
        self.deal_org: list[int | None] = []

    # helpers -----------------------------------------------------------------------------
    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _ago(self, low_days: float, high_days: float) -> datetime.datetime:
        return self.now - self.rng.uniform(low_days, high_days) * DAY

    def _digits(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789") for _ in range(n))

    def _owner(self) -> int | None:
        return self.rng.choice(self.ctx.members) if self.ctx.members else None

    def _custom(self, entity: str, values: dict[str, Any]) -> str:
        allowed = self.ctx.custom_fields.get(entity, set())
        return json.dumps({k: v for k, v in values.items() if k in allowed}, ensure_ascii=False)

    def _record(self, pk: int, created: datetime.datetime, custom: str, text: str) -> Row:
        return (pk, self._uuid(), created, created, self._owner(), custom, 1, None, text)

    def _org_id(self, index: int) -> int:
        return self.ctx.first_id["organization"] + index

    def _contact_id(self, index: int) -> int:
        return self.ctx.first_id["contact"] + index

    def _deal_id(self, index: int) -> int:
        return self.ctx.first_id["deal"] + index

    # organizations -----------------------------------------------------------------------
    def organization_rows(self) -> Iterator[Row]:
        rng = self.rng
        domains: set[str] = set()
        for index in range(self.size.organizations):
            bulgarian = rng.random() < 0.7
            if bulgarian:
                root = rng.choice(names.BG_COMPANY_ROOTS + names.BG_SURNAMES)
                short = f"{root} {rng.choice(names.BG_COMPANY_KINDS)}"
                name = f"{short} {rng.choice(names.BG_COMPANY_FORMS)}"
                city, postcode, area = rng.choice(names.BG_CITIES)
                phone = f"+359{area}{self._digits(8 - len(area))}"
                country, tld, vat = "BG", ".bg", f"BG{self._digits(9)}"
                street = f"{rng.choice(names.BG_STREETS)} {rng.randint(1, 150)}"
            else:
                short = f"{rng.choice(names.EN_COMPANY_ROOTS)} {rng.choice(names.EN_COMPANY_KINDS)}"
                name = f"{short} {rng.choice(names.EN_COMPANY_FORMS)}"
                city, postcode, country, prefix = rng.choice(names.FOREIGN_CITIES)
                phone = f"{prefix}{self._digits(7)}"
                tld = {"GB": ".co.uk", "DE": ".de", "AT": ".at"}.get(country, ".com")
                vat = f"{country}{self._digits(9)}"
                street = f"{rng.randint(1, 200)} {rng.choice(names.EN_STREETS)}"
            domain = _slug(short) + tld
            if domain in domains:
                domain = f"{_slug(short)}{index}{tld}"
            domains.add(domain)
            email = f"{rng.choice(('office', 'info', 'sales', 'contact'))}@{domain}"
            self.orgs.append(_Org(name=name, short=short, domain=domain, bulgarian=bulgarian))
            custom = self._custom(
                "organization",
                {
                    "segment": rng.choice(["SMB", "SMB", "Mid-market", "Enterprise"]),
                    "founded": rng.randint(1991, 2022),
                }
                if rng.random() < 0.7
                else {},
            )
            text = search_document([name, domain, email, phone, vat, city])
            created = self._ago(30, 730)
            size = rng.choice(["1-9", "10-49", "10-49", "50-249", "250-999", "1000+", ""])
            yield (
                *self._record(self._org_id(index), created, custom, text),
                name, f"https://www.{domain}", domain, phone, email, street, city, postcode,
                country, rng.choice(names.INDUSTRIES), size, vat,
            )  # fmt: skip

    def organization_tag_rows(self) -> Iterator[Row]:
        yield from self._tag_rows(self.size.organizations, self._org_id, share=0.3)

    def _tag_rows(self, count: int, pk: Any, share: float) -> Iterator[Row]:
        if not self.ctx.tags:
            return
        for index in range(count):
            if self.rng.random() < share:
                for tag in self.rng.sample(list(self.ctx.tags), self.rng.choice((1, 1, 2))):
                    yield (pk(index), tag)

    # contacts ----------------------------------------------------------------------------
    def _person(self, bulgarian: bool) -> tuple[str, str]:
        rng = self.rng
        if bulgarian:
            if rng.random() < 0.5:
                return rng.choice(names.BG_MALE_FIRST), rng.choice(names.BG_SURNAMES)
            return rng.choice(names.BG_FEMALE_FIRST), _female(rng.choice(names.BG_SURNAMES))
        return rng.choice(names.EN_FIRST), rng.choice(names.EN_SURNAMES)

    def contact_rows(self) -> Iterator[tuple[Row, list[Row], list[Row]]]:
        """Each contact with its email and phone rows."""
        rng = self.rng
        for index in range(self.size.contacts):
            pk = self._contact_id(index)
            org_index = rng.randrange(len(self.orgs)) if self.orgs and rng.random() < 0.85 else None
            org = self.orgs[org_index] if org_index is not None else None
            org_id = self._org_id(org_index) if org_index is not None else None
            self.contact_org.append(org_id)
            if org_id is not None:
                self.contacts_by_org.setdefault(org_id, []).append(pk)
            # mostly the organization's language: Bulgarian names at Bulgarian companies
            bulgarian = (org.bulgarian if org else True) == (rng.random() < 0.85)
            first, last = self._person(bulgarian)
            local = f"{_slug(first)}.{_slug(last)}"
            created = self._ago(10, 700)
            emails = [f"{local}@{org.domain}" if org else f"{local}@abv.bg"]
            if rng.random() < 0.2:
                emails.append(f"{local}{rng.randint(1, 99)}@{rng.choice(('gmail.com', 'abv.bg'))}")
            phones: list[tuple[str, str]] = []
            if rng.random() < 0.7:
                mobile = f"+359{rng.choice(('87', '88', '89', '98'))}{self._digits(7)}"
                phones.append((mobile, "mobile"))
            if rng.random() < 0.15:
                phones.append((f"+3592{self._digits(7)}", "work"))
            job = rng.choice(names.BG_JOB_TITLES if bulgarian else names.EN_JOB_TITLES)
            custom = self._custom(
                "contact",
                {
                    "preferred_language": "Български" if bulgarian else "English",
                    "newsletter": rng.random() < 0.4,
                },
            )
            text = search_document([first, last, job, *emails, *(n for n, _label in phones)])
            stage = rng.choices(("lead", "prospect", "customer", "churned"), (35, 25, 32, 8))[0]
            row = (
                *self._record(pk, created, custom, text),
                first, last, job, org_id, stage, rng.choice(names.SOURCES), rng.random() < 0.03,
            )  # fmt: skip
            email_rows = [
                (self._uuid(), created, created, pk, email, position == 0)
                for position, email in enumerate(emails)
            ]
            phone_rows = [
                (self._uuid(), created, created, pk, number, label) for number, label in phones
            ]
            yield row, email_rows, phone_rows

    def contact_tag_rows(self) -> Iterator[Row]:
        yield from self._tag_rows(self.size.contacts, self._contact_id, share=0.25)

    # deals -------------------------------------------------------------------------------
    def deal_rows(self) -> Iterator[tuple[Row, list[Row]]]:
        """Each deal with its deal-contact rows. About a quarter won and a fifth lost, closed
        over the last twelve months; the rest open across the pipeline's open stages."""
        rng = self.rng
        won = [s for s in self.ctx.stages if s.is_won]
        lost = [s for s in self.ctx.stages if s.is_lost]
        open_stages = [s for s in self.ctx.stages if not (s.is_won or s.is_lost)]
        open_weights = [len(open_stages) - i for i in range(len(open_stages))]
        for index in range(self.size.deals):
            org_index = rng.randrange(len(self.orgs)) if self.orgs and rng.random() < 0.9 else None
            org_id = self._org_id(org_index) if org_index is not None else None
            org_name = self.orgs[org_index].short if org_index is not None else ""
            self.deal_org.append(org_id)
            product = rng.choice(names.DEAL_PRODUCTS)
            name = f"{product} – {org_name}" if org_name else product
            amount = Decimal(max(500, round(rng.lognormvariate(9.2, 0.9), -2))).quantize(
                Decimal("0.01")
            )
            currency = rng.choices(("EUR", "BGN", "USD"), (80, 12, 8))[0]
            outcome = rng.random()
            lost_reason = ""
            if (outcome < 0.25 and won) or (0.25 <= outcome < 0.45 and lost):
                stage = rng.choice(won if outcome < 0.25 else lost)
                status = "won" if stage.is_won else "lost"
                closed = self._ago(0.5, 365)
                created = closed - rng.uniform(7, 120) * DAY
                changed = updated = closed
                close_date = (closed + rng.randint(-10, 10) * DAY).date()
                if status == "lost":
                    lost_reason = rng.choice(names.LOST_REASONS)
            else:
                stage = rng.choices(open_stages, open_weights)[0]
                status = "open"
                created = self._ago(1, 180)
                changed = created + rng.uniform(0, 1) * (self.now - created)
                updated = changed
                close_date = (self.now + rng.randint(-20, 120) * DAY).date()
            custom = self._custom(
                "deal",
                {
                    "lead_source": rng.choice(names.SOURCES),
                    "contract_months": rng.choice((12, 12, 24, 36)),
                },
            )
            pk = self._deal_id(index)
            record = self._record(pk, created, custom, search_document([name]))
            row = (
                *record[:3], updated, *record[4:],
                name, amount, currency, self.ctx.pipeline, stage.pk, org_id, close_date,
                status, lost_reason, changed, None,
            )  # fmt: skip
            people = self.contacts_by_org.get(org_id, []) if org_id is not None else []
            chosen = rng.sample(people, min(len(people), rng.choice((1, 1, 2)))) if people else []
            yield row, [(pk, contact) for contact in chosen]

    # activities and notes ----------------------------------------------------------------
    def _link(self) -> tuple[int | None, int | None, int | None]:
        """(organization, contact, deal) of an activity or note."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.5 and self.size.deals:
            deal_index = rng.randrange(self.size.deals)
            return self.deal_org[deal_index], None, self._deal_id(deal_index)
        if roll < 0.85 and self.size.contacts:
            contact_index = rng.randrange(self.size.contacts)
            return self.contact_org[contact_index], self._contact_id(contact_index), None
        if self.size.organizations:
            return self._org_id(rng.randrange(self.size.organizations)), None, None
        return None, self._contact_id(0), None

    def activity_rows(self) -> Iterator[Row]:
        """Tasks due over the last six weeks and the next month (a quarter of the past ones
        still open, i.e. overdue), calls and meetings, and logged emails."""
        rng = self.rng
        subjects = {
            "task": names.TASK_SUBJECTS,
            "call": names.CALL_SUBJECTS,
            "meeting": names.MEETING_SUBJECTS,
            "email": names.EMAIL_SUBJECTS,
        }
        for _index in range(self.size.activities):
            org, contact, deal = self._link()
            kind = rng.choices(("task", "call", "meeting", "email"), (40, 25, 15, 20))[0]
            due: datetime.datetime | None
            if kind == "task":
                due = self.now + rng.uniform(-45, 30) * DAY
                done = rng.random() < (0.75 if due < self.now else 0.05)
            elif kind in ("call", "meeting"):
                due = self.now + rng.uniform(-120, 14) * DAY
                done = due < self.now
            else:
                due = None
                done = True
            moment = due or self._ago(0, 200)
            created = min(moment - rng.uniform(0, 10) * DAY, self.now)
            done_at = min(moment + rng.uniform(0, 2) * DAY, self.now) if done else None
            # reminders of tasks that were due before the seed count as sent, so loading
            # the demo does not notify everyone of thousands of old tasks at once
            reminded = due if (due is not None and not done and due < self.now) else None
            yield (
                self._uuid(), created, done_at or created, org, contact, deal, kind,
                rng.choice(subjects[kind]), rng.choice(names.DESCRIPTIONS), due, done, done_at,
                self._owner(), reminded, *self._kind_details(kind, due),
            )  # fmt: skip

    def _kind_details(self, kind: str, due: datetime.datetime | None) -> Row:
        """Outcome and duration of a call; start, end, duration and place of a meeting
        (it starts when it is due); direction of an email."""
        rng = self.rng
        if kind == "call":
            outcome = rng.choices(_CALL_OUTCOMES, (50, 20, 15, 10, 5))[0]
            minutes = rng.randint(2, 40) if outcome == "connected" else 0
            return (outcome, minutes, None, None, "", "")
        if kind == "meeting" and due is not None:
            minutes = rng.choice((30, 45, 60, 90))
            end = due + datetime.timedelta(minutes=minutes)
            return ("", minutes, due, end, rng.choice(_MEETING_PLACES), "")
        if kind == "email":
            return ("", None, None, None, "", rng.choice(("in", "out")))
        return ("", None, None, None, "", "")

    def note_rows(self) -> Iterator[Row]:
        rng = self.rng
        for _index in range(self.size.notes):
            org, contact, deal = self._link()
            created = self._ago(0, 365)
            yield (
                self._uuid(), created, created, org, contact, deal, rng.choice(names.NOTES),
                rng.random() < 0.1,
            )  # fmt: skip
