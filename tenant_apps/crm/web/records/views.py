"""Create, edit, detail, delete/restore and the bin of organizations, contacts and deals.

Views translate HTTP to service calls and back; every rule lives in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts.models import Membership
from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action, can
from tenant_apps.crm.duplicates import contact_duplicates, organization_duplicates
from tenant_apps.crm.models import Contact, CustomField, Organization
from tenant_apps.crm.services.common import RESTORE_WINDOW
from tenant_apps.crm.timeline import record_timeline, timeline_filters
from tenant_apps.crm.web.records.access import actor
from tenant_apps.crm.web.records.activity_forms import ActivityForm, blank_forms
from tenant_apps.crm.web.records.forms import (
    ContactForm,
    DealForm,
    NoteForm,
    RecordForm,
    stage_choices,
)
from tenant_apps.crm.web.records.kinds import KINDS, Kind, initial_values
from tenant_apps.crm.web.records.stale import stale_context
from tenant_apps.history.models import AuditEvent


def _company_id(request: HttpRequest) -> int:
    return request.tenant.pk  # type: ignore[attr-defined]


def _form(kind: Kind, request: HttpRequest, data: Any = None, **kwargs: Any) -> RecordForm:
    return kind.form(data, company_id=_company_id(request), **kwargs)


def _duplicates(kind: Kind, request: HttpRequest, form: RecordForm, exclude: int | None) -> list:
    if request.POST.get("create_anyway") or request.POST.get("merge_with"):
        return []
    if isinstance(form, ContactForm):
        return contact_duplicates(
            actor=actor(request),
            emails=form.emails(),
            phones=[p["number"] for p in form.phones()],
            exclude_pk=exclude,
        )
    if kind.name == "organization":
        data = form.cleaned_data
        return organization_duplicates(
            actor=actor(request),
            domain=data.get("domain") or "",
            website=data.get("website") or "",
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            exclude_pk=exclude,
        )
    return []


def _values(kind: Kind, form: RecordForm, initial_status: str | None = None) -> dict[str, Any]:
    if isinstance(form, DealForm):
        return form.service_values(initial_status=initial_status)
    return form.service_values()  # type: ignore[attr-defined]


@action_required(Action.RECORD_EDIT)
def record_create(request: HttpRequest, *, kind: Kind) -> HttpResponse:
    initial: dict[str, Any] = {}
    if kind.name == "deal":
        initial = _deal_initial(request)
    elif kind.name == "contact" and request.GET.get("organization", "").isdigit():
        initial["organization"] = request.GET["organization"]
    # the new record is the creator's unless they pick someone else (only the form
    # proposes it: the services keep no owner when none is given, e.g. in imports)
    initial["owner"] = str(actor(request).pk)
    form = _form(kind, request, request.POST if request.method == "POST" else None, initial=initial)
    duplicates: list = []
    if request.method == "POST" and form.is_valid():
        duplicates = _duplicates(kind, request, form, None)
        if not duplicates:
            try:
                record = kind.create(actor=actor(request), **_values(kind, form))
            except ValidationError as exc:
                form.service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                merge_with = request.POST.get("merge_with", "")
                if (
                    kind.merge is not None
                    and merge_with.isdigit()
                    and can(_member(request), Action.RECORD_MERGE)
                ):
                    # "Create and merge" in the duplicate warning: the merge page preselects
                    # what stays; nothing is merged before the user confirms there
                    url = reverse(kind.merge_url, args=[record.pk])
                    return redirect(f"{url}?other={merge_with}")
                return redirect(kind.url("detail"), pk=record.pk)
    return TemplateResponse(
        request,
        "crm/records/form.html",
        {
            "kind": kind,
            "form": form,
            "title": kind.title_new,
            "duplicates": duplicates,
            "can_merge": kind.merge is not None and can(_member(request), Action.RECORD_MERGE),
        },
        status=409 if duplicates else 200,
    )


def _deal_initial(request: HttpRequest) -> dict[str, Any]:
    from tenant_apps.crm.models import Pipeline

    initial: dict[str, Any] = {"currency": "EUR", "status": "open"}
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is not None:
        initial["pipeline"] = pipeline.pk
        first = pipeline.stages.order_by("position").first()
        initial["stage"] = first.pk if first else ""
    for name in ("organization", "contacts"):
        if request.GET.get(name, "").isdigit():
            initial[name] = [request.GET[name]] if name == "contacts" else request.GET[name]
    return initial


def _live(kind: Kind, request: HttpRequest, pk: int) -> Any:
    record = kind.reader(actor=actor(request)).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


@action_required(Action.RECORD_EDIT)
def record_edit(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = _live(kind, request, pk)
    initial = initial_values(record)
    extra = _list_sizes(record)
    if request.method != "POST":
        form = _form(kind, request, initial=initial, **extra)
        return TemplateResponse(
            request, "crm/records/form.html", {"kind": kind, "form": form, "record": record}
        )
    form = _form(kind, request, request.POST, initial=initial, **extra)
    stale = None
    if form.is_valid():
        version = form.cleaned_data.get("version")
        if version != record.version:
            stale = True
        else:
            try:
                kind.update(
                    **{kind.name: record},
                    actor=actor(request),
                    expected_version=version,
                    **_values(kind, form, initial.get("status")),
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) in ("stale", "deleted"):
                    stale = True
                else:
                    form.service_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(kind.url("detail"), pk=record.pk)
    if stale:
        record = _live(kind, request, pk)
        data = request.POST.copy()
        data["version"] = str(record.version)  # saving again now overwrites, knowingly
        theirs = form
        form = _form(kind, request, data, initial=initial_values(record), **_list_sizes(record))
        form.is_valid()
        context = stale_context(kind=kind, record=record, theirs=theirs)
        return TemplateResponse(
            request,
            "crm/records/form.html",
            {"kind": kind, "form": form, "record": record, "stale": context},
            status=409,
        )
    return TemplateResponse(
        request, "crm/records/form.html", {"kind": kind, "form": form, "record": record}
    )


def _list_sizes(record: Any) -> dict[str, int]:
    if isinstance(record, Contact):
        return {"emails": len(record.emails.all()), "phones": len(record.phones.all())}
    return {}


@action_required(Action.CRM_VIEW)
def record_detail(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = kind.get(actor=actor(request), pk=pk)
    if record is None:
        raise Http404
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    timeline = record_timeline(
        actor=actor(request), record=record, page=page, show=request.GET.get("show", "")
    )
    if request.headers.get("HX-Request") and page > 1:
        return render(
            request,
            "crm/records/_timeline_entries.html",
            {"timeline": timeline, "record": record, "kind": kind, **_roles(request)},
        )
    return TemplateResponse(
        request,
        f"crm/records/{kind.name}_detail.html",
        detail_context(request, kind, record, timeline),
    )


def _member(request: HttpRequest) -> Membership | None:
    return getattr(request, "membership", None)


def _roles(request: HttpRequest) -> dict[str, bool]:
    member = _member(request)
    return {
        "can_edit": can(member, Action.RECORD_EDIT),
        "can_delete": can(member, Action.RECORD_DELETE),
    }


def detail_context(
    request: HttpRequest,
    kind: Kind,
    record: Any,
    timeline: Any,
    *,
    activity_form: ActivityForm | None = None,
    note_form: NoteForm | None = None,
) -> dict[str, Any]:
    roles = _roles(request)
    context: dict[str, Any] = {
        "kind": kind,
        "record": record,
        "timeline": timeline,
        "timeline_filters": timeline_filters(),
        "custom_values": _custom_values(kind, record),
        "restore_until": (
            record.deleted_at + RESTORE_WINDOW if record.deleted_at is not None else None
        ),
        **roles,
    }
    if roles["can_edit"] and record.deleted_at is None:
        context["activity_forms"] = blank_forms(
            actor=actor(request),
            company_id=_company_id(request),
            record=record,
            bound=activity_form,
        )
        context["note_form"] = note_form or NoteForm()
    if isinstance(record, Organization):
        context["contacts"] = list(
            record.contacts.filter(deleted_at__isnull=True).order_by("last_name", "first_name")
        )
        context["deals"] = list(
            record.deals.filter(deleted_at__isnull=True).select_related("stage", "pipeline")
        )
    return context


def _custom_values(kind: Kind, record: Any) -> list[tuple[str, Any]]:
    values = record.custom_fields or {}
    shown = []
    for definition in CustomField.objects.filter(entity=kind.name):
        value = values.get(definition.key)
        if value in (None, "", []):
            continue
        if isinstance(value, bool):
            value = _("Yes") if value else _("No")
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        shown.append((definition.label, value))
    return shown


@require_POST
@action_required(Action.RECORD_DELETE)
def record_delete(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = _live(kind, request, pk)
    kind.delete(**{kind.name: record}, actor=actor(request))
    messages.success(request, _("Deleted. You can restore it within 30 days."))
    return redirect(kind.url("detail"), pk=pk)


@require_POST
@action_required(Action.RECORD_DELETE)
def record_restore(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = kind.reader(actor=actor(request), deleted=True).filter(pk=pk).first()
    if record is None:
        raise Http404
    try:
        kind.restore(**{kind.name: record}, actor=actor(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Restored."))
    return redirect(kind.url("detail"), pk=pk)


@require_GET
@action_required(Action.RECORD_DELETE)
def record_bin(request: HttpRequest, *, kind: Kind) -> HttpResponse:
    since = timezone.now() - RESTORE_WINDOW
    rows = (
        kind.reader(actor=actor(request), deleted=True)
        .filter(deleted_at__gte=since)
        .order_by("-deleted_at", "-id")
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    deleted_by = _deleted_by(kind, [r.pk for r in page.object_list])
    return TemplateResponse(
        request,
        "crm/records/bin.html",
        {
            "kind": kind,
            "title": kind.title_bin,
            "page": page,
            "rows": [(r, deleted_by.get(r.pk), r.deleted_at + RESTORE_WINDOW) for r in page],
        },
    )


def _deleted_by(kind: Kind, pks: list[int]) -> dict[int, Any]:
    if not pks:
        return {}
    events = (
        AuditEvent.objects.filter(
            object_type=kind.model._meta.label_lower,
            object_id__in=[str(pk) for pk in pks],
            action__in=[f"crm.{kind.name}.deleted", f"crm.{kind.name}.merged"],
        )
        .select_related("actor")
        .order_by("created_at")
    )
    return {int(e.object_id): e.actor for e in events}


@require_GET
@action_required(Action.CRM_VIEW)
def deal_stage_options(request: HttpRequest) -> HttpResponse:
    """The stage options of one pipeline, for the deal form's dependent select (htmx)."""
    raw = request.GET.get("pipeline", "")
    choices = stage_choices(int(raw)) if raw.isdigit() else []
    return render(request, "crm/records/_stage_options.html", {"choices": choices})


def kind_of(name: str) -> Kind:
    return KINDS[name]
