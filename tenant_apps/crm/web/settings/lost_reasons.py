"""CRM settings: the list of reasons deals are lost (owners and admins). A reason that deals
use is archived instead of deleted, and can be offered again."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.models import LostReason
from tenant_apps.crm.services import lost_reasons as services
from tenant_apps.crm.web.settings.views import _attempt, _get, _user


class LostReasonForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


def _page(
    request: HttpRequest,
    *,
    form: LostReasonForm | None = None,
    row_forms: dict[int, LostReasonForm] | None = None,
) -> HttpResponse:
    """Every reason with how many deals use it: one query."""
    row_forms = row_forms or {}
    reasons = list(LostReason.objects.annotate(deal_count=Count("deals")))
    rows = [
        (
            reason,
            row_forms.get(reason.pk)
            or LostReasonForm(initial={"name": reason.name}, prefix=f"reason-{reason.pk}"),
        )
        for reason in reasons
    ]
    form = form or LostReasonForm(prefix="new")
    failed = form.is_bound or bool(row_forms)
    return render(
        request,
        "crm/settings/lost_reasons.html",
        {"rows": rows, "form": form},
        status=400 if failed else 200,
    )


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("crm:settings_lost_reasons"))


@require_GET
@action_required(Action.CRM_CONFIGURE)
def lost_reason_list(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def lost_reason_create(request: HttpRequest) -> HttpResponse:
    form = LostReasonForm(request.POST, prefix="new")
    if form.is_valid() and _attempt(
        form,
        lambda: services.lost_reason_create(actor=_user(request), name=form.cleaned_data["name"]),
    ):
        messages.success(request, _("Lost reason added."))
        return _back()
    return _page(request, form=form)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def lost_reason_update(request: HttpRequest, pk: int) -> HttpResponse:
    reason: LostReason = _get(LostReason, pk)
    form = LostReasonForm(request.POST, prefix=f"reason-{pk}")
    if form.is_valid() and _attempt(
        form,
        lambda: services.lost_reason_update(
            reason=reason, actor=_user(request), name=form.cleaned_data["name"]
        ),
    ):
        messages.success(request, _("Lost reason saved."))
        return _back()
    return _page(request, row_forms={reason.pk: form})


@require_POST
@action_required(Action.CRM_CONFIGURE)
def lost_reason_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reason: LostReason = _get(LostReason, pk)
    if services.lost_reason_delete(reason=reason, actor=_user(request)):
        messages.success(request, _("Lost reason “%(name)s” deleted.") % {"name": reason.name})
    else:
        messages.success(
            request,
            _("Lost reason “%(name)s” is used by deals: it is archived and no longer offered.")
            % {"name": reason.name},
        )
    return _back()


@require_POST
@action_required(Action.CRM_CONFIGURE)
def lost_reason_restore(request: HttpRequest, pk: int) -> HttpResponse:
    reason: LostReason = _get(LostReason, pk)
    services.lost_reason_restore(reason=reason, actor=_user(request))
    messages.success(request, _("Lost reason “%(name)s” is offered again.") % {"name": reason.name})
    return _back()
