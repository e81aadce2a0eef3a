"""The merge page of contacts and organizations: pick the other record, which one survives
and, for each differing field, which value to keep."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from tenant_apps.crm.duplicates import contact_duplicates, organization_duplicates
from tenant_apps.crm.models import Contact
from tenant_apps.crm.search_text import search_document
from tenant_apps.crm.services.merge import differing_fields
from tenant_apps.crm.web.records.access import actor, managers_only
from tenant_apps.crm.web.records.kinds import Kind


def _show(record: Any, name: str) -> str:
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "owner":
        return str(value.get_full_name())
    return str(value)


def _candidates(kind: Kind, request: HttpRequest, record: Any) -> list[Any]:
    query = request.GET.get("q", "").strip()
    if query:
        needle = search_document([query])
        return list(
            kind.reader(actor=actor(request))
            .filter(search_text__contains=needle)
            .exclude(pk=record.pk)[:20]
        )
    if isinstance(record, Contact):
        return contact_duplicates(
            actor=actor(request),
            emails=[e.email for e in record.emails.all()],
            phones=[p.number for p in record.phones.all()],
            exclude_pk=record.pk,
        )
    return organization_duplicates(
        actor=actor(request),
        domain=record.domain,
        email=record.email,
        phone=record.phone,
        exclude_pk=record.pk,
    )


@managers_only
def record_merge(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = kind.reader(actor=actor(request)).filter(pk=pk).first()
    if record is None or kind.merge is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    other_id = source.get("other", "")
    other = (
        kind.reader(actor=actor(request)).filter(pk=int(other_id)).exclude(pk=pk).first()
        if other_id.isdigit()
        else None
    )
    context: dict[str, Any] = {"kind": kind, "record": record, "other": other}
    if other is None:
        if other_id:
            messages.error(request, _("Choose another record that has not been deleted."))
        context["candidates"] = _candidates(kind, request, record)
        context["q"] = request.GET.get("q", "")
        return TemplateResponse(request, "crm/records/merge.html", context)
    names = differing_fields(record, other)
    if request.method == "POST":
        keep = source.get("survivor") == "other"
        survivor, gone = (other, record) if keep else (record, other)
        # Each radio names the record whose value to keep: "this" or "other".
        take = [n for n in names if source.get(f"field_{n}") == ("this" if keep else "other")]
        try:
            merged = kind.merge(actor=actor(request), survivor=survivor, other=gone, take=take)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(kind.url("detail"), pk=pk)
        messages.success(request, _("Merged. The other record is in the bin."))
        return redirect(kind.url("detail"), pk=merged.pk)
    context["rows"] = [
        (
            n,
            str(record._meta.get_field(n).verbose_name),
            _show(record, n),
            _show(other, n),
        )
        for n in names
    ]
    return TemplateResponse(request, "crm/records/merge.html", context)
