"""Global search over organizations, contacts and deals.

Records and the query are compared in one normal form (`search_text.search_normalize`:
casefolded, without accents, Cyrillic in Latin letters), so "Иван", "ИВАН" and "ivan" are the
same query. A record matches when

- every word of the query starts a word of its `search_text` (full text, prefix tsquery
  `'ivan':* & 'pet':*` on `to_tsvector('simple', search_text)`), or
- the query is close to some stretch of it (trigram word similarity, `search_text %> query`),
  which forgives typos ("ivn") and finds parts of emails and domains.

Both conditions are written exactly as the GIN indexes of `models.base.search_indexes` are
defined, so PostgreSQL answers them with a BitmapOr of the two index scans. Full-text matches
rank first, then records whose text starts with the query, then by similarity.

The whole search is three queries whatever the number of rows: the access check, the trigram
threshold (a setting of the connection) and one UNION ALL of the three groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection, transaction

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Contact, Deal, Organization
from tenant_apps.crm.search_text import search_normalize

if TYPE_CHECKING:
    from shared_apps.accounts.models import User

MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
# Word similarity needed for a trigram match. pg_trgm's default (0.6) misses one-letter
# typos in short words ("ivn" shares 2 of its 4 trigrams with "ivan"); 0.5 finds them.
TRIGRAM_THRESHOLD = 0.5

KINDS = ("organization", "contact", "deal")


class QueryTooLong(ValueError):
    """The query is longer than MAX_QUERY_LENGTH characters."""


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "organization", "contact" or "deal"
    pk: int
    title: str
    subtitle: str


@dataclass
class SearchResults:
    query: str
    organizations: list[SearchHit] = field(default_factory=list)
    contacts: list[SearchHit] = field(default_factory=list)
    deals: list[SearchHit] = field(default_factory=list)

    @property
    def groups(self) -> list[tuple[str, list[SearchHit]]]:
        """The non-empty groups, in display order."""
        pairs = [
            ("organization", self.organizations),
            ("contact", self.contacts),
            ("deal", self.deals),
        ]
        return [(kind, hits) for kind, hits in pairs if hits]

    @property
    def count(self) -> int:
        return len(self.organizations) + len(self.contacts) + len(self.deals)


def search_is_runnable(query: str) -> bool:
    """Whether `query` is long enough to search for (shorter ones get a hint instead)."""
    return len(search_normalize(query)) >= MIN_QUERY_LENGTH


def prefix_tsquery(normalized: str) -> str:
    """A `to_tsquery` text in which every word of the query is a quoted prefix lexeme.

    Quoting makes every character but the quote itself literal (operators, colons,
    parentheses), and doubling quotes and backslashes escapes those; words without a letter
    or digit are dropped, as the text-search parser would ignore them anyway."""
    terms = []
    for word in normalized.split()[:MAX_WORDS]:
        if not re.search(r"\w", word):
            continue
        quoted = word.replace("\\", "\\\\").replace("'", "''")
        terms.append(f"'{quoted}':*")
    return " & ".join(terms)


# Cheap relevance keys for full-text matches (string functions, no per-row tsvector or trigram
# work): the query as whole words, the record starting with it, how early it appears
# (`search_text` lists the most important values first), then shorter texts.
_FTS_ORDER = """
    strpos(' ' || r.search_text || ' ', ' ' || %(query)s || ' ') > 0 DESC,
    starts_with(r.search_text, %(query)s) DESC,
    NULLIF(strpos(' ' || r.search_text, ' ' || %(query)s), 0) ASC NULLS LAST,
    length(r.search_text), r.id"""
# How many full-text matches are ranked. Reading a row costs a few microseconds; a broad
# prefix ("+359", "iv") matches most of the table, and ranking all of it would take longer
# than the user takes to type the next letter.
FTS_POOL = 1000
# How many trigram candidates are ranked by similarity. Word similarity costs tens of
# microseconds a row and a short query can have tens of thousands of candidates ("ova"),
# so typo matches are ranked among the first ones the index gives, not among all.
TRIGRAM_POOL = 100


def _group_ctes(*, key: str, table: str) -> str:
    """Two CTEs for one kind of record: `<key>_fts` (full-text matches, index-only
    conditions, ranked by the cheap keys) and `<key>_trgm` (trigram matches, looked at only
    when full text found fewer than the limit: PostgreSQL skips the scan otherwise)."""
    return f"""
    {key}_fts AS MATERIALIZED (
        SELECT r.id, row_number() OVER (ORDER BY {_FTS_ORDER}) AS pos
        FROM (
            SELECT r.id, r.search_text
            FROM {table} r
            WHERE r.deleted_at IS NULL
              AND to_tsvector('simple'::regconfig, COALESCE(r.search_text, ''::text))
                  @@ to_tsquery('simple'::regconfig, %(tsquery)s)
            LIMIT {FTS_POOL}
        ) r
        ORDER BY pos
        LIMIT %(limit)s
    ),
    {key}_trgm AS MATERIALIZED (
        SELECT c.id, row_number() OVER (
            ORDER BY word_similarity(%(query)s, c.search_text) DESC, c.id) AS pos
        FROM (
            SELECT r.id, r.search_text
            FROM {table} r
            WHERE r.deleted_at IS NULL
              AND r.search_text %%> %(query)s
              AND (SELECT count(*) FROM {key}_fts) < %(limit)s
              AND r.id NOT IN (SELECT id FROM {key}_fts)
            LIMIT {TRIGRAM_POOL}
        ) c
        ORDER BY pos
        LIMIT %(limit)s
    )"""


def _group_select(*, key: str, table: str, title: str, subtitle: str, joins: str) -> str:
    return f"""
    SELECT %(kind_{key})s AS kind, m.tier, m.pos, r.id, {title} AS title,
           {subtitle} AS subtitle
    FROM (SELECT id, 0 AS tier, pos FROM {key}_fts
          UNION ALL SELECT id, 1 AS tier, pos FROM {key}_trgm) m
    JOIN {table} r ON r.id = m.id {joins}"""


def _sql() -> str:
    """One statement for the three groups; rows come sorted, full-text matches first."""
    org = Organization._meta.db_table
    contact = Contact._meta.db_table
    deal = Deal._meta.db_table
    org_join = f"LEFT JOIN {org} o ON o.id = r.organization_id AND o.deleted_at IS NULL"
    ctes = ",".join(
        _group_ctes(key=key, table=table)
        for key, table in (("organization", org), ("contact", contact), ("deal", deal))
    )
    selects = [
        _group_select(
            key="organization",
            table=org,
            title="r.name",
            subtitle="concat_ws(' · ', NULLIF(r.domain, ''), NULLIF(r.city, ''))",
            joins="",
        ),
        _group_select(
            key="contact",
            table=contact,
            title="concat_ws(' ', NULLIF(r.first_name, ''), r.last_name)",
            subtitle="concat_ws(' · ', NULLIF(r.job_title, ''), o.name)",
            joins=org_join,
        ),
        _group_select(
            key="deal",
            table=deal,
            title="r.name",
            subtitle="concat_ws(' · ', o.name, r.amount::text || ' ' || r.currency)",
            joins=org_join,
        ),
    ]
    return f"WITH {ctes} {' UNION ALL '.join(selects)} ORDER BY kind, tier, pos"


def search(*, actor: User, query: str, limit_per_group: int = 5) -> SearchResults:
    """The best `limit_per_group` live records of each kind matching `query`.

    A query shorter than MIN_QUERY_LENGTH (after normalising) returns no results without
    touching the database beyond the access check; one longer than MAX_QUERY_LENGTH raises
    `QueryTooLong`.
    """
    crm_access(actor=actor, action=Action.CRM_VIEW)
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryTooLong(query)
    normalized = search_normalize(query)
    results = SearchResults(query=normalized)
    if len(normalized) < MIN_QUERY_LENGTH:
        return results
    tsquery = prefix_tsquery(normalized)
    params: dict[str, str | int] = {
        "query": normalized,
        # an empty tsquery matches nothing (PostgreSQL logs a notice), so the trigram
        # condition alone decides for queries made of punctuation
        "tsquery": tsquery,
        "limit": limit_per_group,
        **{f"kind_{kind}": kind for kind in KINDS},
    }
    by_kind: dict[str, list[SearchHit]] = {kind: [] for kind in KINDS}
    # Both settings are local to this transaction (no savepoint: nothing to roll back).
    # `%>` reads its threshold from a setting; and without sequential scans the planner
    # cannot trade the trigram index for a scan that stops "soon" at the pool's LIMIT,
    # which for a rare query means computing word similarity over the whole table.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true),"
            " set_config('enable_seqscan', 'off', true)",
            [str(TRIGRAM_THRESHOLD)],
        )
        cursor.execute(_sql(), params)
        for kind, _tier, _pos, pk, title, subtitle in cursor.fetchall():
            by_kind[kind].append(SearchHit(kind=kind, pk=pk, title=title, subtitle=subtitle))
    results.organizations = by_kind["organization"]
    results.contacts = by_kind["contact"]
    results.deals = by_kind["deal"]
    return results
