"""Every list's query string, fuzzed: no parameter value (huge, negative, unicode, NUL,
malformed or mistyped cursors, impossible dates) may make a list answer 5xx. The lists,
their CSV exports, the bins, the board and its column pages, search and my tasks.

Bounded for CI: a few dozen examples per page, no deadline (the first request of a page
warms caches)."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared_apps.accounts.models import User
from shared_apps.tenants.models import Company
from tenant_apps.crm.listing.entities import SPECS, custom_filters
from tenant_apps.crm.listing.query import PAGING_PARAMS, VIEW_PARAMS
from tenant_apps.crm.models import Activity, Contact, CustomField, Deal, Organization, Tag
from tests.conftest import host_client
from tests.tenant_apps.crm.factories import default_pipeline

pytestmark = pytest.mark.django_db

BIGINT = 2**63
NASTY = [
    "",
    "0",
    "-1",
    "1",
    "2",
    "last",
    "-last",
    str(BIGINT - 1),
    str(BIGINT),
    str(-BIGINT - 1),
    "1" * 40,
    "1e999999",
    "-1e999999",
    "NaN",
    "Infinity",
    "1.5",
    "12,500.50",
    "12 500,50",
    "1.234,56",
    "9999-12-31",
    "0001-01-01",
    "0000-00-00",
    "2026-02-30",
    "\x00",
    "a\x00b",
    "²",
    "١٢",
    "１２",
    "mine",
    "deal:1",
    "deal:" + str(BIGINT),
    "contact:²",
    "organization:-1",
    "-",
    "--",
    "--name",
    "%",
    "_",
    "' OR 1=1 --",
    "\\",
    "Иван",
    "x" * 600,
]


def _cursor(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(
        [
            {"d": "NaN"},
            {"d": "1e999999"},
            {"d": "12.5"},
            {"dt": "9999-12-31T23:59:59"},
            {"dt": "2026-01-01T00:00:00"},
            {"dt": "0001-01-01T00:00:00+14:00"},
            {"date": "0001-01-01"},
            {"date": "2026-01-01"},
            {"t": []},
            {"t": ["EUR", {"d": "1"}]},
            {"t": [None, None]},
        ]
    ),
)
CURSORS = st.one_of(
    st.tuples(_json_scalar, st.integers(min_value=-(2**70), max_value=2**70)).map(
        lambda t: _cursor(list(t))
    ),
    st.lists(_json_scalar, max_size=4).map(_cursor),
    st.text(max_size=20),
)
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    CURSORS,
)


def _list_names(entity: str) -> list[str]:
    spec = SPECS[entity]
    names: list[str] = []
    for f in [*spec.filters, *custom_filters(spec.custom_fields())]:
        names += list(f.fields())
    return [*names, *PAGING_PARAMS, *VIEW_PARAMS, "view"]


def _sorts(entity: str) -> list[str]:
    keys = [c.key for c in SPECS[entity].columns] + ["cf_num", "cf_day", "cf_pick", "cf_yes"]
    return keys + [f"-{k}" for k in keys]


def _query(names: list[str], sorts: list[str] | None = None) -> st.SearchStrategy[Any]:
    value = VALUES if sorts is None else st.one_of(VALUES, st.sampled_from(sorts))
    return st.dictionaries(
        st.sampled_from(names), st.lists(value, min_size=1, max_size=2), max_size=5
    )


@pytest.fixture
def fuzz_data(in_alpha: Company) -> dict[str, Any]:
    for entity in ("organization", "contact", "deal"):
        CustomField.objects.create(entity=entity, key="num", label="Num", type="number")
        CustomField.objects.create(entity=entity, key="day", label="Day", type="date")
        CustomField.objects.create(
            entity=entity, key="pick", label="Pick", type="choice", choices=["a", "b"]
        )
        CustomField.objects.create(
            entity=entity, key="many", label="Many", type="multi", choices=["x", "y"]
        )
        CustomField.objects.create(entity=entity, key="yes", label="Yes", type="bool")
    custom = {"num": 3, "day": "2026-01-02", "pick": "a", "many": ["x"], "yes": True}
    tag = Tag.objects.create(name="key")
    org = Organization.objects.create(name="Acme", custom_fields=custom)
    org.tags.add(tag)
    contact = Contact.objects.create(last_name="Petrova", organization=org, custom_fields=custom)
    contact.tags.add(tag)
    pipeline = default_pipeline()
    stage = pipeline.stages.order_by("position").first()
    assert stage is not None
    deals = [
        Deal.objects.create(
            name=f"Deal {currency}",
            pipeline=pipeline,
            stage=stage,
            amount=Decimal(amount),
            currency=currency,
            organization=org,
            custom_fields=custom,
        )
        for currency, amount in (("EUR", "1234.56"), ("USD", "24800.00"), ("BGN", "0"))
    ]
    Deal.objects.create(
        name="Gone", pipeline=pipeline, stage=stage, deleted_at=timezone.now(), currency="EUR"
    )
    Activity.objects.create(kind="task", subject="Call", deal=deals[0], due_at=timezone.now())
    return {"stage": stage.pk}


@pytest.fixture
def fuzz_client(fuzz_data: dict[str, Any], admin: User) -> Client:
    client = host_client("alpha.localhost", HTTP_ACCEPT_LANGUAGE="bg")
    client.force_login(admin)
    return client


def _get(client: Client, url: str, params: dict[str, list[str]]) -> None:
    # each request in a savepoint: a database error fails this example only
    with transaction.atomic():
        response = client.get(url, params)
    assert response.status_code < 500, (url, params)
    if response.streaming:
        b"".join(response.streaming_content)  # type: ignore[attr-defined]


FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run (no flaky CI)
    database=None,
)

LISTS = [
    (entity, url)
    for entity, base in (
        ("organization", "/organizations/"),
        ("contact", "/contacts/"),
        ("deal", "/deals/"),
        ("activity", "/activities/"),
    )
    for url in (base, f"{base}export/")
]


@pytest.mark.parametrize(("entity", "url"), LISTS)
def test_list_parameters_never_5xx(fuzz_client: Client, entity: str, url: str) -> None:
    names = _list_names(entity)

    @FUZZ
    @given(params=_query(names, _sorts(entity)))
    def run(params: dict[str, list[str]]) -> None:
        _get(fuzz_client, url, params)

    run()


def test_page_number_past_bigint_is_not_5xx(fuzz_client: Client) -> None:
    for url in ("/organizations/", "/contacts/", "/deals/", "/activities/"):
        for page in (str(BIGINT - 1), str(BIGINT), "1" * 40, str(10**12)):
            _get(fuzz_client, url, {"page": [page]})


OTHER_PAGES = [
    ("/organizations/deleted/", ["page"]),
    ("/contacts/deleted/", ["page"]),
    ("/deals/deleted/", ["page"]),
    ("/board/", ["pipeline", "owner"]),
    ("/board/stages/{stage}/cards/", ["after", "owner"]),
    ("/search/", ["q"]),
    ("/search/results/", ["q"]),
    ("/tasks/", ["link"]),
    ("/tasks/notifications/", ["page"]),
]


@pytest.mark.parametrize(("url", "names"), OTHER_PAGES)
def test_other_list_parameters_never_5xx(
    fuzz_client: Client, fuzz_data: dict[str, Any], url: str, names: list[str]
) -> None:
    page = url.format(**fuzz_data)

    @FUZZ
    @given(params=_query(names))
    def run(params: dict[str, list[str]]) -> None:
        _get(fuzz_client, page, params)

    run()


def test_page_past_the_end_shows_the_last_page(
    in_alpha: Company, viewer: User, client_for: Any
) -> None:
    Contact.objects.bulk_create(Contact(last_name=f"P{i:02}") for i in range(60))
    client = client_for(viewer)
    last = client.get("/contacts/?per_page=25&page=last")
    for page in (str(BIGINT - 1), "4"):
        response = client.get(f"/contacts/?per_page=25&page={page}")
        assert response.status_code == 400
        assert [r.pk for r in response.context["rows"]] == [r.pk for r in last.context["rows"]]
        assert f"There is no page {page}; showing the last page." in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "value"),
    [
        ("-created_at", "not a time"),
        ("-created_at", {"dt": "2026-01-01T00:00:00"}),  # no time zone
        ("name", 5),
        ("name", "a\x00b"),
        ("-amount", {"d": "12.5"}),  # amounts sort within their currency: a pair
        ("-amount", {"t": ["EUR", {"d": "1e999999"}]}),
        ("-amount", {"t": ["EUR", {"d": "NaN"}]}),
        ("-amount", {"t": [None, {"d": "1"}]}),
        ("-amount", {"t": ["EUR\u0000", {"d": "1"}]}),
        ("name", {"t": ["a", "b"]}),
        ("stage", 2**70),
    ],
)
def test_cursor_of_another_type_shows_the_first_page(
    in_alpha: Company, viewer: User, client_for: Any, sort: str, value: Any
) -> None:
    url = "/deals/" if sort in ("-amount", "stage") else "/contacts/"
    client = client_for(viewer)
    response = client.get(url, {"sort": sort, "after": _cursor([value, 1])})
    assert response.status_code == 400
    assert "That page link is not valid; showing the first page." in response.content.decode()
    bad_pk = client.get(url, {"sort": sort, "after": _cursor([None, BIGINT])})
    assert bad_pk.status_code == 400
