"""Writing demo data into the current company's schema fast: PostgreSQL COPY (psycopg 3
`cursor.copy`) into tables named by their schema, ids reserved from each table's own sequence
beforehand, `last_activity_at` filled in one statement, ANALYZE at the end, and
`tables_tidy` VACUUMs once the transaction has committed.

This bypasses the services on purpose: there is no actor, and 400,000 audit rows of a demo
load would be noise. The rows are written exactly as the models would save them (the same
`search_text`, the same normalised phones and lowercase emails).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models, transaction

from shared_apps.tenants.db import connection
from tenant_apps.crm.demo import names
from tenant_apps.crm.demo.generate import COLUMNS, Context, DemoGenerator, Row, Size, StageInfo
from tenant_apps.crm.models import (
    Activity,
    Contact,
    ContactEmail,
    ContactPhone,
    CustomField,
    Deal,
    LostReason,
    Note,
    Notification,
    Organization,
    Pipeline,
    Tag,
)

RECORD_MODELS: tuple[type[models.Model], ...] = (Organization, Contact, Deal, Activity, Note)

_TABLES: dict[str, type[models.Model]] = {
    "organization": Organization,
    "organization_tags": Organization.tags.through,
    "contact": Contact,
    "contact_email": ContactEmail,
    "contact_phone": ContactPhone,
    "contact_tags": Contact.tags.through,
    "deal": Deal,
    "deal_contacts": Deal.contacts.through,
    "activity": Activity,
    "note": Note,
}
# Deleted children first: the foreign keys are checked by the database, not cascaded by it.
_WIPE_ORDER: tuple[type[models.Model], ...] = (
    Notification,
    Activity,
    Note,
    Deal.contacts.through,
    Deal,
    Contact.tags.through,
    ContactEmail,
    ContactPhone,
    Contact,
    Organization.tags.through,
    Organization,
    Tag,
)


class NoPipeline(Exception):
    """The company has no default pipeline to put deals in."""


@dataclass
class SeedReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _table(model: type[models.Model]) -> str:
    return f"{connection.ops.quote_name(connection.schema_name)}.{model._meta.db_table}"


def has_crm_data() -> bool:
    """Whether the current company has any record, activity or note (deleted ones too)."""
    return any(model._default_manager.exists() for model in RECORD_MODELS)


def crm_data_wipe() -> None:
    """Delete every CRM record, activity, note and tag of the current company (pipelines,
    custom field definitions and saved views stay). Tables of other apps that point at these
    rows are emptied or unlinked the way their foreign keys say."""
    with connection.cursor() as cursor:
        for model in _WIPE_ORDER:
            for rel in model._meta.related_objects:
                related = rel.related_model
                if related in _WIPE_ORDER or rel.many_to_many or not rel.concrete:
                    continue
                column = rel.field.column
                if rel.on_delete is models.SET_NULL:
                    sql = f"UPDATE {_table(related)} SET {column} = NULL WHERE {column} IS NOT NULL"
                else:
                    sql = f"DELETE FROM {_table(related)} WHERE {column} IS NOT NULL"
                cursor.execute(sql)
            where = " WHERE activity_id IS NOT NULL" if model is Notification else ""
            cursor.execute(f"DELETE FROM {_table(model)}{where}")


def _context(members: list[int]) -> Context:
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is None:
        raise NoPipeline
    stages = [StageInfo(s.pk, s.is_won, s.is_lost) for s in pipeline.stages.order_by("position")]
    tags = []
    for name, color in names.TAGS:
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(
            name=name, color=color
        )
        tags.append(tag.pk)
    custom: dict[str, set[str]] = {}
    for position, (entity, key, label, kind, choices) in enumerate(names.CUSTOM_FIELDS):
        definition, _created = CustomField.objects.get_or_create(
            entity=entity,
            key=key,
            defaults={"label": label, "type": kind, "choices": choices, "position": position},
        )
        # a company's own field of the same key but another shape gets no demo values
        if definition.type == kind and set(choices) <= set(definition.choices or []):
            custom.setdefault(entity, set()).add(key)
    return Context(members=members, pipeline=pipeline.pk, stages=stages, tags=tags,
                   custom_fields=custom)  # fmt: skip


def _reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of `count` consecutive ids taken from the table's sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [_table(model)])
        first = int(cursor.fetchone()[0])
        if count > 1:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [_table(model), first + count - 1],
            )
    return first


def _copy(key: str, rows: Iterable[Row], names: list[str] | None = None) -> int:
    model = _TABLES[key]
    columns = ", ".join(names or COLUMNS[key])
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {_table(model)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


# The contact row also carries the copies of its primary email and first phone
# (crm.contact_points), worked out from the rows written with it.
_CONTACT_COLUMNS = [*COLUMNS["contact"], "primary_email", "primary_phone"]
_EMAIL = COLUMNS["contact_email"].index("email")
_IS_PRIMARY = COLUMNS["contact_email"].index("is_primary")
_NUMBER = COLUMNS["contact_phone"].index("number")


def _split(
    rows: Iterator[tuple[Row, list[Row], list[Row]]],
) -> tuple[list[Row], list[Row], list[Row]]:
    """Contacts (with their primary email and phone), emails, phones. Emails and phones are
    written in list order, so the first of a contact's rows is the one with the lowest id."""
    main: list[Row] = []
    first: list[Row] = []
    second: list[Row] = []
    for row, emails, phones in rows:
        primary = [e for e in emails if e[_IS_PRIMARY]] or emails
        main.append(
            (
                *row,
                primary[0][_EMAIL] if primary else None,
                phones[0][_NUMBER] if phones else None,
            )
        )
        first.extend(emails)
        second.extend(phones)
    return main, first, second


def seed(
    *, size: Size, seed: int, members: list[int], now: datetime.datetime | None = None
) -> SeedReport:
    """Load one demo data set into the current company's schema, in one transaction."""
    started = time.monotonic()
    now = now or datetime.datetime.now(datetime.UTC).replace(minute=0, second=0, microsecond=0)
    report = SeedReport()
    with transaction.atomic():
        context = _context(members)
        context.first_id = {
            "organization": _reserve_ids(Organization, size.organizations),
            "contact": _reserve_ids(Contact, size.contacts),
            "deal": _reserve_ids(Deal, size.deals),
        }
        gen = DemoGenerator(seed=seed, size=size, context=context, now=now)
        counts = report.counts
        counts["organizations"] = _copy("organization", gen.organization_rows())
        _copy("organization_tags", gen.organization_tag_rows())
        contacts, emails, phones = _split(gen.contact_rows())
        counts["contacts"] = _copy("contact", contacts, _CONTACT_COLUMNS)
        counts["emails"] = _copy("contact_email", emails)
        counts["phones"] = _copy("contact_phone", phones)
        _copy("contact_tags", gen.contact_tag_rows())
        deals: list[Row] = []
        links: list[Row] = []
        for deal, deal_links in gen.deal_rows():
            deals.append(deal)
            links.extend(deal_links)
        counts["deals"] = _copy("deal", deals)
        _copy("deal_contacts", links)
        counts["activities"] = _copy("activity", gen.activity_rows())
        counts["notes"] = _copy("note", gen.note_rows())
        with connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {_table(Deal)} d SET last_activity_at = latest.at
                    FROM (SELECT deal_id, max(created_at) AS at FROM (
                            SELECT deal_id, created_at FROM {_table(Activity)}
                            UNION ALL SELECT deal_id, created_at FROM {_table(Note)}) linked
                          WHERE deal_id IS NOT NULL GROUP BY deal_id) latest
                    WHERE d.id = latest.deal_id"""
            )
            # lost deals get one of the company's lost reasons, spread evenly (the generated
            # text stays as the details), so that the dashboard's count by reason has data
            cursor.execute(
                f"""UPDATE {_table(Deal)} d SET lost_reason_choice_id = r.id
                    FROM (SELECT id, row_number() OVER (ORDER BY position, id) - 1 AS n,
                                 count(*) OVER () AS total
                          FROM {_table(LostReason)} WHERE NOT archived) r
                    WHERE d.status = 'lost' AND d.lost_reason_choice_id IS NULL
                      AND r.n = d.id % r.total"""
            )
    tables_tidy()
    report.seconds = time.monotonic() - started
    return report


def tables_tidy() -> None:
    """What autovacuum would do soon after a bulk load. Outside a transaction: VACUUM
    (ANALYZE) each table, which merges GIN pending lists, sets the visibility map (index-only
    scans then skip the heap) and gathers statistics. Inside one (VACUUM cannot run there):
    merge the GIN pending lists, which every search would otherwise read linearly, and
    ANALYZE. `seed_demo` calls it again after its transaction commits."""
    with connection.cursor() as cursor:
        for model in _TABLES.values():
            table = _table(model)
            if not connection.in_atomic_block:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
                continue
            cursor.execute(
                """SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i
                   JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                   WHERE a.amname = 'gin' AND i.indrelid = %s::regclass""",
                [table],
            )
            cursor.execute(f"ANALYZE {table}")
