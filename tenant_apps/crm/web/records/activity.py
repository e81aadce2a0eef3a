"""Quick add on a record page (a task, a logged call, meeting or email, a note), and note
edit, pin and delete.

With htmx the answer is the record's activity panel (forms and the first timeline page),
swapped in place; without JavaScript the same forms are plain POSTs answered by a redirect
(or the whole page with the errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.models import Activity, ActivityKind, Note
from tenant_apps.crm.services.activities import activity_create, activity_delete
from tenant_apps.crm.services.notes import note_create, note_delete, note_pin, note_update
from tenant_apps.crm.timeline import record_timeline
from tenant_apps.crm.web.records.access import actor
from tenant_apps.crm.web.records.activity_forms import ActivityForm, make_form
from tenant_apps.crm.web.records.forms import NoteForm, member_choices
from tenant_apps.crm.web.records.kinds import KINDS, Kind
from tenant_apps.crm.web.records.views import detail_context


def _htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _answer(
    request: HttpRequest,
    kind: Kind,
    record: Any,
    *,
    activity_form: ActivityForm | None = None,
    note_form: NoteForm | None = None,
    ok: bool,
) -> HttpResponse:
    if ok and not _htmx(request):
        return redirect(kind.url("detail"), pk=record.pk)
    timeline = record_timeline(actor=actor(request), record=record, page=1)
    context = detail_context(
        request, kind, record, timeline, activity_form=activity_form, note_form=note_form
    )
    template = (
        "crm/records/_activity.html" if _htmx(request) else f"crm/records/{kind.name}_detail.html"
    )
    return TemplateResponse(request, template, context, status=200 if ok else 400)


def _live(kind: Kind, request: HttpRequest, pk: int) -> Any:
    record = kind.reader(actor=actor(request)).filter(pk=pk).first()
    if record is None:
        raise Http404
    return record


_ADDED: dict[str, Callable[[], str]] = {
    ActivityKind.TASK: lambda: _("Task added."),
    ActivityKind.CALL: lambda: _("Call logged."),
    ActivityKind.MEETING: lambda: _("Meeting logged."),
    ActivityKind.EMAIL: lambda: _("Email logged."),
}


@require_POST
@action_required(Action.RECORD_EDIT)
def activity_add(
    request: HttpRequest, pk: int, *, kind: Kind, activity_kind: str = ActivityKind.TASK
) -> HttpResponse:
    """Add a task or log a call, meeting or email on the record."""
    record = _live(kind, request, pk)
    user = actor(request)
    form = make_form(
        activity_kind,
        request.POST,
        members=member_choices(request.tenant.pk),  # type: ignore[attr-defined]
        actor=user,
        record=record,
    )
    if form.is_valid():
        try:
            activity_create(
                actor=user,
                kind=activity_kind,
                **form.service_values(),
                **{kind.name: record},
            )
        except ValidationError as exc:
            form.service_errors(exc)
        else:
            if not _htmx(request):
                messages.success(request, _ADDED[activity_kind]())
            return _answer(request, kind, record, ok=True)
    return _answer(request, kind, record, activity_form=form, ok=False)


@require_POST
@action_required(Action.RECORD_EDIT)
def note_add(request: HttpRequest, pk: int, *, kind: Kind) -> HttpResponse:
    record = _live(kind, request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            note_create(actor=actor(request), body=form.cleaned_data["body"], **{kind.name: record})
        except ValidationError as exc:
            form.add_error("body", exc.message_dict.get("body") or exc.messages)
        else:
            if not _htmx(request):
                messages.success(request, _("Note added."))
            return _answer(request, kind, record, ok=True)
    return _answer(request, kind, record, note_form=form, ok=False)


def _note(pk: int) -> Note:
    note = Note.objects.filter(pk=pk).first()
    if note is None:
        raise Http404
    return note


def _back(request: HttpRequest, note: Note | Activity) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    for name in ("contact", "organization", "deal"):
        if getattr(note, f"{name}_id") is not None:
            return redirect(KINDS[name].url("detail"), pk=getattr(note, f"{name}_id"))
    return redirect("/")


@action_required(Action.RECORD_EDIT)
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    form = NoteForm(request.POST if request.method == "POST" else None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        try:
            note_update(note=note, actor=actor(request), body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error("body", exc.message_dict.get("body") or exc.messages)
        else:
            messages.success(request, _("Note saved."))
            return _back(request, note)
    return TemplateResponse(
        request,
        "crm/records/note_edit.html",
        {"form": form, "note": note, "next": request.GET.get("next", "")},
    )


@require_POST
@action_required(Action.RECORD_EDIT)
def note_pin_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    note_pin(note=note, actor=actor(request), pinned=request.POST.get("pinned") == "1")
    return _back(request, note)


@require_POST
@action_required(Action.RECORD_EDIT)
def note_remove(request: HttpRequest, pk: int) -> HttpResponse:
    note = _note(pk)
    note_delete(note=note, actor=actor(request))
    messages.success(request, _("Note deleted."))
    return _back(request, note)


@require_POST
@action_required(Action.RECORD_EDIT)
def activity_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a logged call, meeting or email (or a task) from the timeline: owners and
    admins any, a member those they created (the service refuses the rest: 403)."""
    activity = Activity.objects.filter(pk=pk).first()
    if activity is None:
        raise Http404
    activity_delete(activity=activity, actor=actor(request))
    messages.success(request, _("Activity deleted."))
    return _back(request, activity)
