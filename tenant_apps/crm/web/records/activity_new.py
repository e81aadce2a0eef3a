"""`/activities/new/`: add a task or log a call, meeting or email for any record, picked on
the page (or given as `?link=deal:12`), of the kind given as `?kind=call`."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.models import ActivityKind
from tenant_apps.crm.services.activities import activity_create
from tenant_apps.crm.web.records.access import actor
from tenant_apps.crm.web.records.activity_forms import FORMS, make_form
from tenant_apps.crm.web.records.forms import member_choices
from tenant_apps.crm.web.tasks.forms import RecordPickerForm
from tenant_apps.crm.web.tasks.selectors import link_choices

_LOGGED: dict[str, Callable[[], str]] = {
    ActivityKind.TASK: lambda: _("Task added."),
    ActivityKind.CALL: lambda: _("Call logged."),
    ActivityKind.MEETING: lambda: _("Meeting logged."),
    ActivityKind.EMAIL: lambda: _("Email logged."),
}


@action_required(Action.RECORD_EDIT)
def activity_new(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    posted = request.method == "POST"
    data = request.POST if posted else None
    kind = (request.POST if posted else request.GET).get("kind", "")
    if kind not in FORMS:
        kind = ActivityKind.TASK
    preselect = request.GET.get("link", "")
    picker = RecordPickerForm(
        data,
        link_choices=link_choices(actor=user),
        initial={"link": preselect},
        preselect=preselect,
    )
    form = make_form(
        kind,
        data,
        members=member_choices(request.tenant.pk),  # type: ignore[attr-defined]
        actor=user,
    )
    if posted:
        picked, filled = picker.is_valid(), form.is_valid()
        if picked and filled:
            try:
                activity_create(actor=user, kind=kind, **form.service_values(), **picker.links())
            except ValidationError as exc:
                form.service_errors(exc)
            else:
                messages.success(request, _LOGGED[kind]())
                record = picker.record
                assert record is not None
                name = record._meta.model_name
                return redirect(reverse(f"crm:{name}_detail", args=[record.pk]))
    tabs = [(value, label) for value, label in ActivityKind.choices]
    return TemplateResponse(
        request,
        "crm/records/activity_new.html",
        {
            "kind": kind,
            "tabs": tabs,
            "picker": picker,
            "form": form,
            "link": preselect,
        },
        status=400 if posted else 200,
    )
