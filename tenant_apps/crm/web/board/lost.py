"""Why a deal was lost, asked when it moves to a lost stage: on the board (a small form in
the board's message area after a drop or a "Move to…", or a page without JavaScript) and on
the deal page ("Mark as lost"). The rule itself lives in `deal_move_stage`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.accounts.permissions import Action
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Deal, LostReason, Stage
from tenant_apps.crm.services.deals import LOST_REASON_MAX, deal_move_stage

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


class LostReasonFields(forms.Form):
    """The reason (an id of one of the company's offered reasons) and optional details."""

    lost_reason_choice = forms.IntegerField(
        label=gettext_lazy("Why was it lost?"), required=False, min_value=1
    )
    lost_reason = forms.CharField(
        label=gettext_lazy("Details (optional)"), max_length=LOST_REASON_MAX, required=False
    )


class NeedsReason(Exception):
    """The move is to a lost stage and the company keeps a list of reasons: ask for one."""


def offered_reasons() -> list[LostReason]:
    return list(LostReason.objects.filter(archived=False))


def reason_pick(value: int | None, *, stage: Stage) -> LostReason | None:
    """The chosen reason for a move to `stage`: None when not needed or not given (the
    service then decides), `ValidationError` for an id that is not an offered reason
    (another company's, an archived one, garbage)."""
    if not stage.is_lost or value is None:
        return None
    reason = LostReason.objects.filter(pk=value, archived=False).first()
    if reason is None:
        raise ValidationError(_("Choose one of the offered reasons."), code="lost_reason_invalid")
    return reason


def ask_context(
    *, deal: Deal, stage: Stage, version: int, owner: str, error: str = ""
) -> dict[str, Any]:
    return {
        "deal": deal,
        "stage": stage,
        "version": version,
        "owner": owner,
        "reasons": offered_reasons(),
        "error": error,
        "max_length": LOST_REASON_MAX,
    }


class MarkLostForm(LostReasonFields):
    version = forms.IntegerField(min_value=1)


def _lost_stage(deal: Deal) -> Stage | None:
    return (
        Stage.objects.filter(pipeline_id=deal.pipeline_id, is_lost=True)
        .order_by("position")
        .first()
    )


@require_http_methods(["GET", "POST"])
def deal_mark_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """The deal page's "Mark as lost": to the pipeline's (first) lost stage, with a reason.
    GET shows the form."""
    deal = Deal.objects.filter(pk=pk, deleted_at__isnull=True).first()
    if deal is None:
        raise Http404
    stage = _lost_stage(deal)
    if stage is None:
        raise Http404
    action = reverse("crm:deal_mark_lost", args=[deal.pk])
    if request.method == "GET":
        crm_access(actor=request.user, action=Action.RECORD_EDIT)  # type: ignore[arg-type]
        context = ask_context(deal=deal, stage=stage, version=deal.version, owner="")
        return render(request, "crm/board/lost_reason.html", {**context, "action": action})
    form = MarkLostForm(request.POST)
    version = deal.version
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        version = data["version"]
        user: User = request.user  # type: ignore[assignment]
        try:
            reason = reason_pick(data["lost_reason_choice"], stage=stage)
            deal_move_stage(
                deal=deal,
                stage=stage,
                actor=user,
                expected_version=version,
                lost_reason_choice=reason,
                lost_reason=data["lost_reason"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("“%(deal)s” is marked as lost.") % {"deal": deal.name})
            return HttpResponseRedirect(reverse("crm:deal_detail", args=[deal.pk]))
    else:
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
    context = ask_context(deal=deal, stage=stage, version=version, owner="", error=error)
    return render(request, "crm/board/lost_reason.html", {**context, "action": action}, status=400)
