"""The pipeline board: columns per stage, "show more" pages, and moving a deal (drag and drop
or the card's "Move to…" control) with an undo. Reads come from `crm.board`, the move goes
through `deal_move_stage`. htmx requests get fragments (out-of-band swaps); plain form posts
(no JavaScript) are redirected back to the board with a message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts.permissions import Action, can
from tenant_apps.crm import board as selectors
from tenant_apps.crm.board import Card
from tenant_apps.crm.models import Deal, Stage
from tenant_apps.crm.services.deals import deal_move_stage
from tenant_apps.crm.web.board.lost import LostReasonFields, NeedsReason, ask_context, reason_pick

if TYPE_CHECKING:
    from shared_apps.accounts.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _can_edit(request: HttpRequest) -> bool:
    return can(getattr(request, "membership", None), Action.RECORD_EDIT)


def _owner_param(request: HttpRequest, value: str | None) -> tuple[str, int | None]:
    """The owner filter as given ("", "mine" or a user id) and the user id it means."""
    value = (value or "").strip()
    if value == "mine":
        return value, request.user.pk
    if value.isdigit():
        return value, int(value)
    return "", None


def _cards_prepare(request: HttpRequest, cards: Iterable[Card], stages: list[Stage]) -> None:
    """What each card's template would otherwise compute per card (URL reversing, the
    stage options): built once per stage, so that a full board renders quickly."""
    options = {
        current.pk: format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((s.pk, mark_safe(" selected") if s.pk == current.pk else "", s.name) for s in stages),
        )
        for current in stages
    }
    detail = reverse("crm:deal_detail", args=[0]).removesuffix("0/")
    for card in cards:
        card.url = f"{detail}{card.id}/"
        card.options = options.get(card.stage_id, "")


def _common(request: HttpRequest) -> dict[str, Any]:
    return {
        "can_edit": _can_edit(request),
        "move_url": reverse("crm:board_move"),
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
    }


def _board_url(pipeline: object, owner: str) -> str:
    params = {k: v for k, v in (("pipeline", pipeline), ("owner", owner)) if v}
    url = reverse("crm:board")
    return f"{url}?{urlencode(params)}" if params else url


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    owner, owner_id = _owner_param(request, request.GET.get("owner"))
    data = selectors.board_get(
        actor=_user(request),
        company=request.tenant,  # type: ignore[attr-defined]
        pipeline_id=request.GET.get("pipeline"),
        owner_id=owner_id,
    )
    _cards_prepare(request, (c for col in data.columns for c in col.cards), data.stages)
    return render(
        request,
        "crm/board/board.html",
        {"board": data, "stages": data.stages, "owner": owner, **_common(request)},
    )


@require_GET
def column_more(request: HttpRequest, stage_id: int) -> HttpResponse:
    stage = Stage.objects.filter(pk=stage_id).first()
    if stage is None:
        raise Http404
    owner, owner_id = _owner_param(request, request.GET.get("owner"))
    page = selectors.column_page(
        actor=_user(request),
        company=request.tenant,  # type: ignore[attr-defined]
        stage=stage,
        after=selectors.cursor_parse(request.GET.get("after", "")),
        owner_id=owner_id,
    )
    _cards_prepare(request, page.cards, page.stages)
    context = {
        "page": page,
        "stage": stage,
        "stages": page.stages,
        "owner": owner,
        **_common(request),
    }
    if request.headers.get("HX-Request"):
        return render(request, "crm/board/_more.html", context)
    return render(request, "crm/board/column.html", context)


class MoveForm(LostReasonFields):
    deal = forms.IntegerField(min_value=1)
    stage = forms.IntegerField(min_value=1)
    version = forms.IntegerField(min_value=1)
    owner = forms.CharField(required=False)
    undo = forms.BooleanField(required=False)


class MoveRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _move(request: HttpRequest, form: MoveForm) -> tuple[Deal, Stage, Stage]:
    """Move the deal; (deal after the move, stage before, stage after) or `MoveRefused`."""
    values = form.cleaned_data
    deal = Deal.objects.select_related("stage").filter(pk=values["deal"]).first()
    if deal is None or deal.deleted_at is not None:
        raise MoveRefused(_("This deal has been deleted. Reload the board."), 404)
    target = Stage.objects.filter(pk=values["stage"]).first()
    if target is None or target.pipeline_id != deal.pipeline_id:
        raise MoveRefused(_("Choose a stage of the deal's pipeline."), 400)
    before = deal.stage
    try:
        reason = reason_pick(values["lost_reason_choice"], stage=target)
        moved = deal_move_stage(
            deal=deal,
            stage=target,
            actor=_user(request),
            expected_version=values["version"],
            lost_reason_choice=reason,
            lost_reason=values["lost_reason"] if target.is_lost else None,
        )
    except PermissionDenied as exc:
        raise MoveRefused(str(exc), 403) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "lost_reason_choice" in exc.error_dict:
            raise NeedsReason(deal, target, values, " ".join(exc.messages)) from exc
        if getattr(exc, "code", None) == "stale":
            message = _(
                "“%(name)s” was changed by someone else since the board was loaded. "
                "Reload the board and try again."
            ) % {"name": deal.name}
            raise MoveRefused(message, 409) from exc
        if getattr(exc, "code", None) == "deleted":
            raise MoveRefused(_("This deal has been deleted. Reload the board."), 404) from exc
        raise MoveRefused(" ".join(exc.messages), 400) from exc
    return moved, before, target


@require_POST
def move(request: HttpRequest) -> HttpResponse:
    form = MoveForm(request.POST)
    htmx = bool(request.headers.get("HX-Request"))
    owner, owner_id = _owner_param(request, request.POST.get("owner"))
    try:
        if not form.is_valid():
            raise MoveRefused(_("Choose a deal and a stage."), 400)
        deal, before, after = _move(request, form)
    except NeedsReason as ask:
        return _ask_reason(request, ask, owner=owner, htmx=htmx)
    except MoveRefused as refused:
        if not htmx:
            messages.error(request, refused.message)
            return HttpResponseRedirect(_board_url(request.POST.get("pipeline"), owner))
        return render(
            request, "crm/board/_error.html", {"message": refused.message}, status=refused.status
        )
    undo = form.cleaned_data["undo"]
    if not htmx:
        messages.success(request, _moved_message(deal.name, after.name, undo))
        return HttpResponseRedirect(_board_url(deal.pipeline_id, owner))
    return _move_result(
        request, deal=deal, before=before, after=after, owner=owner, owner_id=owner_id, undo=undo
    )


def _ask_reason(request: HttpRequest, ask: NeedsReason, *, owner: str, htmx: bool) -> HttpResponse:
    """Nothing moved: ask why the deal was lost (400, so the board puts the card back)."""
    deal, stage, values, error = ask.args
    # the first ask is a question, not an error; a refused choice (archived) is one
    context = ask_context(
        deal=deal,
        stage=stage,
        version=values["version"],
        owner=owner,
        error=error if values["lost_reason_choice"] else "",
    )
    context["action"] = reverse("crm:board_move")
    template = "crm/board/_lost_reason.html" if htmx else "crm/board/lost_reason.html"
    return render(request, template, context, status=400)


def _moved_message(name: str, stage: str, undo: bool, moved: bool = True) -> str:
    if not moved:
        return _("“%(deal)s” is already in “%(stage)s”.") % {"deal": name, "stage": stage}
    if undo:
        return _("Moved “%(deal)s” back to “%(stage)s”.") % {"deal": name, "stage": stage}
    return _("Moved “%(deal)s” to “%(stage)s”.") % {"deal": name, "stage": stage}


def _move_result(
    request: HttpRequest,
    *,
    deal: Deal,
    before: Stage,
    after: Stage,
    owner: str,
    owner_id: int | None,
    undo: bool,
) -> HttpResponse:
    company = request.tenant  # type: ignore[attr-defined]
    card = selectors.board_card(deal_id=deal.pk, company=company)
    summaries = selectors.column_summaries(stages=[before, after], owner_id=owner_id)
    columns = []
    for stage in (before, after):
        count, totals = summaries.get(stage.pk, (0, []))
        columns.append(selectors.Column(stage=stage, count=count, totals=totals))
    stages = list(Stage.objects.filter(pipeline_id=deal.pipeline_id).order_by("position"))
    _cards_prepare(request, [card], stages)
    context: dict[str, Any] = {
        **_common(request),
        "card": card,
        "columns": columns,
        "stages": stages,
        "owner": owner,
        "message": _moved_message(deal.name, after.name, undo, moved=before.pk != after.pk),
        "undo_stage": None if undo or before.pk == after.pk else before,
        "moved": before.pk != after.pk,
    }
    return render(request, "crm/board/_moved.html", context)
