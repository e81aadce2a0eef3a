"""My tasks (grouped by due date in the user's time zone), quick add, edit, done/undone
(htmx or a plain POST) and delete; the notifications inbox."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.permission_views import forbidden
from shared_apps.accounts.permissions import Action, can
from tenant_apps.crm.access import crm_access
from tenant_apps.crm.models import Activity, ActivityKind, Notification
from tenant_apps.crm.services.activities import (
    activity_create,
    activity_delete,
    activity_mark_done,
    activity_may_delete,
    activity_update,
)
from tenant_apps.crm.services.notifications import (
    notification_mark_all_read,
    notification_mark_read,
)
from tenant_apps.crm.web.tasks.forms import TaskAddForm, TaskEditForm
from tenant_apps.crm.web.tasks.selectors import (
    link_choices,
    my_done_tasks,
    my_notifications,
    my_open_tasks,
    task_get,
)

View = Callable[..., HttpResponse]
DEFAULT_ZONE = "Europe/Sofia"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or DEFAULT_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_ZONE)


def in_user_zone(view: View) -> View:
    """Dates are read and shown in the user's own time zone (`User.time_zone`); a refused
    service call becomes a 403 page with its message."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with timezone.override(_zone(_user(request))):
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc))

    return wrapper


def _groups(tasks: list[Activity]) -> list[tuple[str, str, list[Activity]]]:
    """Overdue / Today / Upcoming / No date, by the current (the user's) time zone."""
    now = timezone.now()
    today = timezone.localdate(now)
    overdue, due_today, upcoming, undated = [], [], [], []
    for task in tasks:
        if task.due_at is None:
            undated.append(task)
        elif task.due_at < now:
            overdue.append(task)
        elif timezone.localdate(task.due_at) == today:
            due_today.append(task)
        else:
            upcoming.append(task)
    return [
        ("overdue", _("Overdue"), overdue),
        ("today", _("Today"), due_today),
        ("upcoming", _("Upcoming"), upcoming),
        ("undated", _("No date"), undated),
    ]


def _page(request: HttpRequest, add_form: TaskAddForm | None = None) -> HttpResponse:
    user = _user(request)
    membership = crm_access(actor=user, action=Action.CRM_VIEW)
    can_edit = can(membership, Action.RECORD_EDIT)
    if add_form is None and can_edit:
        # `?link=deal:12` (e.g. from a record page) preselects that record
        add_form = TaskAddForm(
            link_choices=link_choices(actor=user),
            initial={"link": request.GET.get("link", "")},
            preselect=request.GET.get("link", ""),
        )
    open_tasks = list(my_open_tasks(actor=user))
    return render(
        request,
        "crm/tasks/my_tasks.html",
        {
            "groups": _groups(open_tasks),
            "open_count": len(open_tasks),
            "done_tasks": list(my_done_tasks(actor=user)),
            "add_form": add_form,
            "can_edit": can_edit,
            "now": timezone.now(),
        },
    )


@require_GET
@in_user_zone
def my_tasks(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@in_user_zone
def task_add(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    crm_access(actor=user, action=Action.RECORD_CREATE)
    form = TaskAddForm(request.POST, link_choices=link_choices(actor=user))
    if form.is_valid():
        try:
            activity_create(
                actor=user,
                kind=ActivityKind.TASK,
                subject=form.cleaned_data["subject"],
                due_at=form.due_at(),
                assignee=user,
                **form.links(),
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Task added."))
            return HttpResponseRedirect(_next_url(request) or reverse("crm:my_tasks"))
    response = _page(request, add_form=form)
    response.status_code = 400
    return response


def _next_url(request: HttpRequest) -> str | None:
    """Where to go back after a quick add posted from another page (same host only)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _errors_to_form(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _task_or_404(pk: int) -> Activity:
    task = task_get(pk=pk)
    if task is None:
        raise Http404
    return task


@require_POST
@in_user_zone
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark done (`done=1`, the default) or not done (`done=0`). htmx gets the task's row
    back; a plain form POST goes back to the list."""
    user = _user(request)
    task = _task_or_404(pk)
    done = request.POST.get("done", "1") != "0"
    task = activity_mark_done(activity=task, actor=user, done=done)
    if request.headers.get("HX-Request") == "true":
        task = _task_or_404(pk)
        return render(
            request,
            "crm/tasks/_task.html",
            {"task": task, "can_edit": True, "now": timezone.now(), "just_changed": True},
        )
    messages.success(request, _("Task done.") if done else _("Task reopened."))
    return HttpResponseRedirect(reverse("crm:my_tasks"))


def _members(request: HttpRequest) -> list[tuple[int, str]]:
    memberships = Membership.objects.filter(
        company_id=request.tenant.pk  # type: ignore[attr-defined]
    ).select_related("user")
    people = [(m.user_id, m.user.full_name or m.user.email) for m in memberships]
    return sorted(people, key=lambda p: p[1].lower())


@require_http_methods(["GET", "POST"])
@in_user_zone
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = _task_or_404(pk)
    membership = crm_access(actor=user, action=Action.RECORD_EDIT)
    members = _members(request)
    if request.method == "POST":
        form = TaskEditForm(request.POST, members=members)
        if form.is_valid():
            assignee = User.objects.filter(pk=form.cleaned_data["assignee"]).first()
            try:
                activity_update(
                    activity=task,
                    actor=user,
                    subject=form.cleaned_data["subject"],
                    description=form.cleaned_data["description"],
                    due_at=form.due_at(),
                    assignee=assignee,
                )
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Task saved."))
                return HttpResponseRedirect(reverse("crm:my_tasks"))
    else:
        local = timezone.localtime(task.due_at) if task.due_at else None
        form = TaskEditForm(
            initial={
                "subject": task.subject,
                "description": task.description,
                "due_date": local.date() if local else None,
                "due_time": local.time() if local else None,
                "assignee": task.assignee_id,
            },
            members=members,
        )
    return render(
        request,
        "crm/tasks/edit.html",
        {
            "task": task,
            "form": form,
            "may_delete": activity_may_delete(activity=task, membership=membership),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@in_user_zone
def task_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = _task_or_404(pk)
    activity_delete(activity=task, actor=user)
    messages.success(request, _("Task deleted."))
    return HttpResponseRedirect(reverse("crm:my_tasks"))


@require_GET
@in_user_zone
def notifications(request: HttpRequest) -> HttpResponse:
    items = list(my_notifications(actor=_user(request)))
    return render(
        request,
        "crm/tasks/notifications.html",
        {"items": items, "unread": sum(1 for n in items if n.read_at is None)},
    )


@require_POST
@in_user_zone
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise Http404
    notification_mark_read(notification=notification, actor=user)
    target = request.POST.get("next", "")
    if target == "record" and notification.url.startswith("/") and notification.url[1:2] != "/":
        return HttpResponseRedirect(notification.url)
    return HttpResponseRedirect(reverse("crm:notifications"))


@require_POST
@in_user_zone
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notification_mark_all_read(actor=_user(request))
    if count:
        messages.success(request, _("All notifications marked read."))
    return HttpResponseRedirect(reverse("crm:notifications"))
