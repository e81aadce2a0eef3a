"""CRM settings for owners and admins: pipelines and stages, custom fields, tags.

Every POST goes through a service (role check, validation, audit row). An invalid form is
shown again on its page with its errors and status 400; nothing is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.accounts.models import User
from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action
from tenant_apps.crm.models import CustomField, CustomFieldEntity, Pipeline, Stage, Tag
from tenant_apps.crm.services import custom_fields as field_services
from tenant_apps.crm.services import pipelines as pipeline_services
from tenant_apps.crm.services import tags as tag_services
from tenant_apps.crm.web.settings.forms import (
    CustomFieldCreateForm,
    CustomFieldEditForm,
    PipelineCreateForm,
    PipelineForm,
    StageDeleteForm,
    StageForm,
    TagForm,
)
from tenant_apps.crm.web.settings.selectors import (
    custom_fields,
    pipelines_with_counts,
    stages_with_counts,
    tags_with_usage,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _errors_to_form(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _attempt(form: Form, action: Callable[[], object]) -> bool:
    """Run the service; its validation errors go onto the form."""
    try:
        action()
    except ValidationError as exc:
        _errors_to_form(form, exc)
        return False
    return True


def _get(model: type[Any], pk: int) -> Any:
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- index -------------------------------------------------------------------------------


@require_GET
@action_required(Action.CRM_CONFIGURE)
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/settings/index.html")


# --- pipelines ---------------------------------------------------------------------------


def _pipelines_page(request: HttpRequest, form: PipelineCreateForm | None = None) -> HttpResponse:
    form = form or PipelineCreateForm()
    return render(
        request,
        "crm/settings/pipelines.html",
        {"pipelines": list(pipelines_with_counts()), "form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
@action_required(Action.CRM_CONFIGURE)
def pipeline_list(request: HttpRequest) -> HttpResponse:
    return _pipelines_page(request)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def pipeline_create(request: HttpRequest) -> HttpResponse:
    form = PipelineCreateForm(request.POST)
    if form.is_valid():
        created: list[Pipeline] = []
        if _attempt(
            form,
            lambda: created.append(
                pipeline_services.pipeline_create(
                    actor=_user(request),
                    name=form.cleaned_data["name"],
                    is_default=form.cleaned_data["is_default"],
                )
            ),
        ):
            messages.success(request, _("Pipeline created. Add its stages."))
            return HttpResponseRedirect(reverse("crm:settings_pipeline", args=[created[0].pk]))
    return _pipelines_page(request, form)


def _pipeline_page(
    request: HttpRequest,
    pipeline: Pipeline,
    *,
    rename_form: PipelineForm | None = None,
    add_form: StageForm | None = None,
    stage_forms: dict[int, StageForm] | None = None,
    delete_forms: dict[int, StageDeleteForm] | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    stages = stages_with_counts(pipeline)
    stage_forms = stage_forms or {}
    delete_forms = delete_forms or {}
    rows = []
    for index, stage in enumerate(stages):
        rows.append(
            {
                "stage": stage,
                "form": stage_forms.get(stage.pk)
                or StageForm(initial=StageForm.initial_for(stage), prefix=f"stage-{stage.pk}"),
                "delete_form": delete_forms.get(stage.pk)
                or StageDeleteForm(stage=stage, siblings=stages, prefix=f"delete-{stage.pk}"),
                "first": index == 0,
                "last": index == len(stages) - 1,
            }
        )
    rename_form = rename_form or PipelineForm(initial={"name": pipeline.name})
    add_form = add_form or StageForm(prefix="new")
    bound = [f for f in (rename_form, add_form, *stage_forms.values(), *delete_forms.values())]
    failed = bool(errors) or any(f.is_bound for f in bound)
    return render(
        request,
        "crm/settings/pipeline.html",
        {
            "pipeline": pipeline,
            "rows": rows,
            "rename_form": rename_form,
            "add_form": add_form,
            "errors": errors or [],
        },
        status=400 if failed else 200,
    )


@require_GET
@action_required(Action.CRM_CONFIGURE)
def pipeline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _pipeline_page(request, _get(Pipeline, pk))


@require_POST
@action_required(Action.CRM_CONFIGURE)
def pipeline_rename(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = _get(Pipeline, pk)
    form = PipelineForm(request.POST)
    if form.is_valid() and _attempt(
        form,
        lambda: pipeline_services.pipeline_update(
            pipeline=pipeline, actor=_user(request), name=form.cleaned_data["name"]
        ),
    ):
        messages.success(request, _("Pipeline renamed."))
        return HttpResponseRedirect(reverse("crm:settings_pipeline", args=[pk]))
    return _pipeline_page(request, pipeline, rename_form=form)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def pipeline_default(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = _get(Pipeline, pk)
    pipeline_services.pipeline_set_default(pipeline=pipeline, actor=_user(request))
    messages.success(
        request, _("“%(name)s” is now the default pipeline.") % {"name": pipeline.name}
    )
    return HttpResponseRedirect(reverse("crm:settings_pipelines"))


@require_POST
@action_required(Action.CRM_CONFIGURE)
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = _get(Pipeline, pk)
    try:
        pipeline_services.pipeline_delete(pipeline=pipeline, actor=_user(request))
    except ValidationError as exc:
        return _pipeline_page(request, pipeline, errors=exc.messages)
    messages.success(request, _("Pipeline “%(name)s” deleted.") % {"name": pipeline.name})
    return HttpResponseRedirect(reverse("crm:settings_pipelines"))


# --- stages ------------------------------------------------------------------------------


@require_POST
@action_required(Action.CRM_CONFIGURE)
def stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = _get(Pipeline, pk)
    form = StageForm(request.POST, prefix="new")
    if form.is_valid() and _attempt(
        form,
        lambda: pipeline_services.stage_create(
            actor=_user(request), pipeline=pipeline, **form.values()
        ),
    ):
        messages.success(request, _("Stage added."))
        return HttpResponseRedirect(reverse("crm:settings_pipeline", args=[pk]))
    return _pipeline_page(request, pipeline, add_form=form)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def stage_update(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _get(Stage, pk)
    form = StageForm(request.POST, prefix=f"stage-{pk}")
    if form.is_valid() and _attempt(
        form,
        lambda: pipeline_services.stage_update(stage=stage, actor=_user(request), **form.values()),
    ):
        messages.success(request, _("Stage saved."))
        return HttpResponseRedirect(reverse("crm:settings_pipeline", args=[stage.pipeline_id]))
    return _pipeline_page(request, stage.pipeline, stage_forms={stage.pk: form})


@require_POST
@action_required(Action.CRM_CONFIGURE)
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _get(Stage, pk)
    direction = request.POST.get("direction", "")
    try:
        pipeline_services.stage_move(stage=stage, actor=_user(request), direction=direction)
    except ValidationError as exc:
        return _pipeline_page(request, stage.pipeline, errors=exc.messages)
    url = reverse("crm:settings_pipeline", args=[stage.pipeline_id])
    return HttpResponseRedirect(f"{url}#stage-{stage.pk}")


@require_POST
@action_required(Action.CRM_CONFIGURE)
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stage = _get(Stage, pk)
    siblings = list(Stage.objects.filter(pipeline_id=stage.pipeline_id))
    form = StageDeleteForm(request.POST, stage=stage, siblings=siblings, prefix=f"delete-{pk}")
    if form.is_valid():
        move_to = next((s for s in siblings if s.pk == form.cleaned_data["move_to"]), None)
        if _attempt(
            form,
            lambda: pipeline_services.stage_delete(
                stage=stage, actor=_user(request), move_to=move_to
            ),
        ):
            messages.success(request, _("Stage “%(name)s” deleted.") % {"name": stage.name})
            return HttpResponseRedirect(reverse("crm:settings_pipeline", args=[stage.pipeline_id]))
    return _pipeline_page(request, stage.pipeline, delete_forms={stage.pk: form})


# --- custom fields -----------------------------------------------------------------------


def _fields_page(request: HttpRequest, form: CustomFieldCreateForm | None = None) -> HttpResponse:
    fields = list(custom_fields())
    groups = [
        (value, label, [f for f in fields if f.entity == value])
        for value, label in CustomFieldEntity.choices
    ]
    form = form or CustomFieldCreateForm(initial={"entity": request.GET.get("entity", "")})
    return render(
        request,
        "crm/settings/fields.html",
        {"groups": groups, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
@action_required(Action.CRM_CONFIGURE)
def field_list(request: HttpRequest) -> HttpResponse:
    return _fields_page(request)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def field_create(request: HttpRequest) -> HttpResponse:
    form = CustomFieldCreateForm(request.POST)
    if form.is_valid() and _attempt(
        form,
        lambda: field_services.custom_field_create(
            actor=_user(request),
            entity=form.cleaned_data["entity"],
            key=form.cleaned_data["key"],
            label=form.cleaned_data["label"],
            type=form.cleaned_data["type"],
            choices=form.choice_list(),
            required=form.cleaned_data["required"],
            position=form.cleaned_data["position"],
        ),
    ):
        messages.success(request, _("Field added."))
        return HttpResponseRedirect(reverse("crm:settings_fields"))
    return _fields_page(request, form)


@require_http_methods(["GET", "POST"])
@action_required(Action.CRM_CONFIGURE)
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    field: CustomField = _get(CustomField, pk)
    if request.method == "POST":
        form = CustomFieldEditForm(request.POST)
        if form.is_valid() and _attempt(
            form,
            lambda: field_services.custom_field_update(
                field=field,
                actor=_user(request),
                label=form.cleaned_data["label"],
                required=form.cleaned_data["required"],
                choices=form.choice_list(),
                position=form.cleaned_data["position"],
            ),
        ):
            messages.success(request, _("Field saved."))
            return HttpResponseRedirect(reverse("crm:settings_fields"))
    else:
        form = CustomFieldEditForm(
            initial={
                "label": field.label,
                "required": field.required,
                "choices": "\n".join(field.choices or []),
                "position": field.position,
            }
        )
    return render(
        request,
        "crm/settings/field_edit.html",
        {"field": field, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
@action_required(Action.CRM_CONFIGURE)
def field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    field: CustomField = _get(CustomField, pk)
    cleared = field_services.custom_field_delete(field=field, actor=_user(request))
    messages.success(
        request,
        ngettext(
            "Field “%(label)s” deleted; its values were removed from %(count)d record.",
            "Field “%(label)s” deleted; its values were removed from %(count)d records.",
            cleared,
        )
        % {"label": field.label, "count": cleared},
    )
    return HttpResponseRedirect(reverse("crm:settings_fields"))


# --- tags --------------------------------------------------------------------------------


def _tags_page(
    request: HttpRequest,
    *,
    form: TagForm | None = None,
    row_forms: dict[int, TagForm] | None = None,
) -> HttpResponse:
    row_forms = row_forms or {}
    tags = list(tags_with_usage())
    rows = [
        (
            tag,
            row_forms.get(tag.pk)
            or TagForm(initial={"name": tag.name, "color": tag.color}, prefix=f"tag-{tag.pk}"),
        )
        for tag in tags
    ]
    form = form or TagForm(prefix="new")
    failed = form.is_bound or bool(row_forms)
    return render(
        request,
        "crm/settings/tags.html",
        {"rows": rows, "form": form},
        status=400 if failed else 200,
    )


@require_GET
@action_required(Action.CRM_CONFIGURE)
def tag_list(request: HttpRequest) -> HttpResponse:
    return _tags_page(request)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def tag_create(request: HttpRequest) -> HttpResponse:
    form = TagForm(request.POST, prefix="new")
    if form.is_valid() and _attempt(
        form,
        lambda: tag_services.tag_create(
            actor=_user(request), name=form.cleaned_data["name"], color=form.cleaned_data["color"]
        ),
    ):
        messages.success(request, _("Tag created."))
        return HttpResponseRedirect(reverse("crm:settings_tags"))
    return _tags_page(request, form=form)


@require_POST
@action_required(Action.CRM_CONFIGURE)
def tag_update(request: HttpRequest, pk: int) -> HttpResponse:
    tag: Tag = _get(Tag, pk)
    form = TagForm(request.POST, prefix=f"tag-{pk}")
    if form.is_valid() and _attempt(
        form,
        lambda: tag_services.tag_update(
            tag=tag,
            actor=_user(request),
            name=form.cleaned_data["name"],
            color=form.cleaned_data["color"],
        ),
    ):
        messages.success(request, _("Tag saved."))
        return HttpResponseRedirect(reverse("crm:settings_tags"))
    return _tags_page(request, row_forms={tag.pk: form})


@require_POST
@action_required(Action.CRM_CONFIGURE)
def tag_delete(request: HttpRequest, pk: int) -> HttpResponse:
    tag: Tag = _get(Tag, pk)
    tag_services.tag_delete(tag=tag, actor=_user(request))
    messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
    return HttpResponseRedirect(reverse("crm:settings_tags"))
