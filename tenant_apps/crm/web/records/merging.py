"""The merge page of contacts and organizations, in three steps, each a plain form:

1. pick the other record: `q` searches with the global search selector, without it the
   likely duplicates are offered; htmx only refreshes the list as the user types (the record
   page's "Merge with…" picker asks for the same fragment);
2. (`other` given) choose which record stays and, for each differing field, which value to
   keep; the more complete record and the non-empty values are preselected (`crm.merge_plan`);
3. review (POST): every value that will be dropped, with the value kept instead, before
   anything is written; the merge itself is the POST with `confirm`.

Both records' versions travel with the form: if either changed since the page was opened the
answer is 409 with the current values and nothing is written. Bad input (the record itself,
a deleted record, an unknown id) answers 400 with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.duplicates import contact_duplicates, organization_duplicates
from tenant_apps.crm.merge_plan import (
    CUSTOM,
    choice_fields,
    completeness,
    default_take,
    dropped_values,
    raw,
    survivor_first,
)
from tenant_apps.crm.models import Contact, CustomField
from tenant_apps.crm.search import MAX_QUERY_LENGTH, QueryTooLong, search
from tenant_apps.crm.web.records.access import actor
from tenant_apps.crm.web.records.kinds import Kind

PICKER_LIMIT = 10
SIDES = ("this", "other")


@dataclass(frozen=True)
class Candidate:
    pk: int
    title: str
    subtitle: str


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    mine: str
    theirs: str
    pick: str  # "this" or "other": the record whose value is kept


@dataclass(frozen=True)
class DroppedRow:
    label: str
    dropped: str
    kept: str


class Refused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _show(record: Any, name: str) -> str:
    if name.startswith(CUSTOM):
        value = raw(record, name)
        if isinstance(value, list):
            value = ", ".join(map(str, value))
    else:
        value = getattr(record, name)
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "owner":
        return str(value.get_full_name() or value.email)
    if not name.startswith(CUSTOM):
        field = record._meta.get_field(name)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
    return str(value)


def _labels(kind: Kind, names: list[str]) -> dict[str, str]:
    custom = dict(CustomField.objects.filter(entity=kind.name).values_list("key", "label"))
    labels = {}
    for name in names:
        if name.startswith(CUSTOM):
            key = name.removeprefix(CUSTOM)
            labels[name] = custom.get(key, key)
        else:
            field = kind.model._meta.get_field(name)
            labels[name] = capfirst(str(getattr(field, "verbose_name", name)))
    return labels


def _candidates(kind: Kind, request: HttpRequest, record: Any) -> list[Candidate]:
    query = request.GET.get("q", "").strip()
    if query:
        try:
            found = search(actor=actor(request), query=query, limit_per_group=PICKER_LIMIT + 1)
        except QueryTooLong as exc:
            raise Refused(
                _("The search text is too long: use at most %(max)s characters.")
                % {"max": MAX_QUERY_LENGTH}
            ) from exc
        hits = found.contacts if kind.model is Contact else found.organizations
        return [Candidate(h.pk, h.title, h.subtitle) for h in hits if h.pk != record.pk][
            :PICKER_LIMIT
        ]
    if isinstance(record, Contact):
        contacts = contact_duplicates(
            actor=actor(request),
            emails=[e.email for e in record.emails.all()],
            phones=[p.number for p in record.phones.all()],
            exclude_pk=record.pk,
        )
        return [
            Candidate(c.pk, str(c), c.organization.name if c.organization else "") for c in contacts
        ]
    organizations = organization_duplicates(
        actor=actor(request),
        domain=record.domain,
        email=record.email,
        phone=record.phone,
        exclude_pk=record.pk,
    )
    return [Candidate(o.pk, str(o), o.domain) for o in organizations]


def _other(kind: Kind, request: HttpRequest, record: Any, raw_id: str) -> Any:
    if not raw_id.isdigit():
        raise Refused(_("Choose the record to merge with this one."))
    if int(raw_id) == record.pk:
        raise Refused(_("A record cannot be merged with itself."))
    other = kind.get(actor=actor(request), pk=int(raw_id))
    if other is None:
        raise Refused(_("There is no such record in this company."))
    if other.deleted_at is not None:
        raise Refused(_("A deleted record cannot be merged."))
    return other


def _version(source: Any, name: str) -> int:
    value = source.get(name, "")
    if not value.isdigit():
        raise Refused(_("The form is incomplete. Open the merge page again."))
    return int(value)


def _choices(source: Any, names: list[str]) -> tuple[str, dict[str, str]]:
    stays = source.get("survivor", "")
    picked = {n: source.get(f"field_{n}", "") for n in names}
    if stays not in SIDES or any(v not in SIDES for v in picked.values()):
        raise Refused(_("Choose which record stays and a value for every field."))
    return stays, picked


def _choose_context(
    kind: Kind, record: Any, other: Any, stays: str | None, picked: dict[str, str] | None
) -> dict[str, Any]:
    names = choice_fields(record, other)
    if stays is None or picked is None:
        survivor, gone = survivor_first(record, other)
        stays = "this" if survivor is record else "other"
        take = set(default_take(survivor, gone))
        kept_side = {True: "other" if stays == "this" else "this", False: stays}
        picked = {n: kept_side[n in take] for n in names}
    labels = _labels(kind, names)
    return {
        "step": "choose",
        "stays": stays,
        "filled": {"this": completeness(record), "other": completeness(other)},
        "rows": [Row(n, labels[n], _show(record, n), _show(other, n), picked[n]) for n in names],
    }


def _review_context(
    kind: Kind, record: Any, other: Any, stays: str, picked: dict[str, str]
) -> dict[str, Any]:
    survivor, gone = (record, other) if stays == "this" else (other, record)
    take = [n for n, side in picked.items() if side != stays]
    dropped = dropped_values(survivor, gone, take)
    labels = _labels(kind, [d.name for d in dropped])
    rows = []
    for d in dropped:
        loser, keeper = (survivor, gone) if d.from_survivor else (gone, survivor)
        rows.append(DroppedRow(labels[d.name], _show(loser, d.name), _show(keeper, d.name)))
    return {
        "step": "review",
        "stays": stays,
        "picked": picked,
        "survivor": survivor,
        "gone": gone,
        "dropped": rows,
    }


def _page(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return TemplateResponse(request, "crm/records/merge.html", context, status=status)


def _pick(kind: Kind, request: HttpRequest, record: Any, context: dict[str, Any]) -> HttpResponse:
    status = 200
    try:
        candidates = _candidates(kind, request, record)
    except Refused as exc:
        candidates, status = [], exc.status
        context["error"] = exc.message
    context.update(step="pick", candidates=candidates, q=request.GET.get("q", ""))
    if request.headers.get("HX-Request"):
        return render(request, "crm/records/_merge_candidates.html", context, status=status)
    return _page(request, context, status)


@action_required(Action.RECORD_MERGE)
def record_merge(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    if kind.merge is None:
        raise Http404
    record = kind.get(actor=actor(request), pk=pk)
    if record is None:
        raise Http404
    context: dict[str, Any] = {"kind": kind, "record": record}
    if record.deleted_at is not None:
        context.update(step="refused", error=_("A deleted record cannot be merged."))
        return _page(request, context, 400)
    post = request.method == "POST"
    source = request.POST if post else request.GET
    if not post and "other" not in source:
        return _pick(kind, request, record, context)
    try:
        other = _other(kind, request, record, source.get("other", ""))
    except Refused as exc:
        context.update(step="pick", error=exc.message, candidates=[], q="")
        return _page(request, context, exc.status)
    context["other"] = other
    if not post:
        context.update(_choose_context(kind, record, other, None, None))
        return _page(request, context)
    return _submit(kind, request, record, other, context)


def _submit(
    kind: Kind, request: HttpRequest, record: Any, other: Any, context: dict[str, Any]
) -> HttpResponse:
    source = request.POST
    names = choice_fields(record, other)
    try:
        versions = (_version(source, "version_this"), _version(source, "version_other"))
        stays, picked = _choices(source, names)
    except Refused as exc:
        context.update(_choose_context(kind, record, other, None, None), error=exc.message)
        return _page(request, context, exc.status)
    if versions != (record.version, other.version):
        context.update(
            _choose_context(kind, record, other, None, None),
            error=_(
                "One of the records was changed after you opened this page. Check the values again."
            ),
        )
        return _page(request, context, 409)
    if source.get("back"):
        context.update(_choose_context(kind, record, other, stays, picked))
        return _page(request, context)
    if not source.get("confirm"):
        context.update(_review_context(kind, record, other, stays, picked))
        return _page(request, context)
    survivor, gone = (record, other) if stays == "this" else (other, record)
    take = [n for n, side in picked.items() if side != stays]
    assert kind.merge is not None  # no merge page is routed otherwise
    try:
        merged = kind.merge(
            actor=actor(request),
            survivor=survivor,
            other=gone,
            take=take,
            expected_versions=(survivor.version, gone.version),
        )
    except ValidationError as exc:
        stale = exc.code == "stale"
        fresh_record = kind.get(actor=actor(request), pk=record.pk)
        fresh_other = kind.get(actor=actor(request), pk=other.pk)
        context.update(record=fresh_record, other=fresh_other, error=" ".join(exc.messages))
        if stale:
            context.update(_choose_context(kind, fresh_record, fresh_other, None, None))
        else:
            context.update(step="refused")
        return _page(request, context, 409 if stale else 400)
    messages.success(request, _("Merged. The other record is in the bin."))
    return redirect(kind.url("detail"), pk=merged.pk)
