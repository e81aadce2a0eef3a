"""The company's team page (company host): members, invitations and their actions.

Only owners and admins may open it; the services in shared_apps/accounts/team.py enforce
every rule again. Members are addressed by their user's UUID, invitations by theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shared_apps.accounts import team
from shared_apps.accounts.models import Invitation, Membership, User
from shared_apps.accounts.permission_views import action_required
from shared_apps.accounts.permissions import Action, can
from shared_apps.accounts.url_access import COMPANY_PAGE, url_access
from tenant_apps.team.forms import InvitationForm, RoleForm

View = Callable[..., HttpResponse]
TEAM_URL = "/team/"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _member(request: HttpRequest, uuid: Any) -> Membership:
    membership = (
        Membership.objects.select_related("user", "company")
        .filter(company_id=request.tenant.pk, user__uuid=uuid)  # type: ignore[attr-defined]
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def _invitation(request: HttpRequest, uuid: Any) -> Invitation:
    invitation = (
        Invitation.objects.select_related("company")
        .filter(company_id=request.tenant.pk, uuid=uuid)  # type: ignore[attr-defined]
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def _run(request: HttpRequest, action: Callable[[], object], success: str) -> HttpResponse:
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return HttpResponseRedirect(TEAM_URL)


def _page(request: HttpRequest, invite_form: InvitationForm, status: int = 200) -> HttpResponse:
    company = request.tenant  # type: ignore[attr-defined]
    me: Membership = request.membership  # type: ignore[attr-defined]
    members = list(Membership.objects.filter(company_id=company.pk).select_related("user"))
    owners = [m.pk for m in members if m.role == Membership.Role.OWNER]
    invitations = Invitation.objects.filter(
        company_id=company.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    ).order_by("email")
    now = timezone.now()
    return render(
        request,
        "team/list.html",
        {
            "company": company,
            "me": me,
            "is_owner": can(me, Action.OWNER_ROLE_CHANGE),
            # The only owner can neither leave nor change their own role (the services
            # refuse it): the page does not offer it and says why.
            "sole_owner_pk": owners[0] if len(owners) == 1 else None,
            "members": sorted(members, key=lambda m: (m.user.full_name or m.user.email).lower()),
            "invitations": [(i, i.expires_at <= now) for i in invitations],
            "invite_form": invite_form,
            "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
        },
        status=status,
    )


@url_access(COMPANY_PAGE)
@require_GET
@action_required(Action.TEAM_MANAGE)
def team_list(request: HttpRequest) -> HttpResponse:
    return _page(request, InvitationForm(actor=request.membership))  # type: ignore[attr-defined]


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST, actor=request.membership)  # type: ignore[attr-defined]
    if not form.is_valid():
        return _page(request, form, status=400)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    try:
        team.invitation_create(
            company=request.tenant,  # type: ignore[attr-defined]
            email=email,
            role=role,
            actor=_user(request),
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("email", message)
        return _page(request, form, status=400)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": email.lower()})
    return HttpResponseRedirect(TEAM_URL)


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def invitation_resend(request: HttpRequest, uuid: Any) -> HttpResponse:
    invitation = _invitation(request, uuid)
    return _run(
        request,
        lambda: team.invitation_resend(invitation=invitation, actor=_user(request)),
        _("Invitation sent again to %(email)s.") % {"email": invitation.email},
    )


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def invitation_revoke(request: HttpRequest, uuid: Any) -> HttpResponse:
    invitation = _invitation(request, uuid)
    return _run(
        request,
        lambda: team.invitation_revoke(invitation=invitation, actor=_user(request)),
        _("Invitation for %(email)s revoked.") % {"email": invitation.email},
    )


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def member_role(request: HttpRequest, uuid: Any) -> HttpResponse:
    membership = _member(request, uuid)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return HttpResponseRedirect(TEAM_URL)
    role = form.cleaned_data["role"]
    return _run(
        request,
        lambda: team.membership_change_role(membership=membership, role=role, actor=_user(request)),
        _("%(email)s is now %(role)s.")
        % {"email": membership.user.email, "role": Membership.Role(role).label},
    )


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def member_remove(request: HttpRequest, uuid: Any) -> HttpResponse:
    membership = _member(request, uuid)
    return _run(
        request,
        lambda: team.membership_remove(membership=membership, actor=_user(request)),
        _("%(email)s was removed from the company.") % {"email": membership.user.email},
    )


@url_access(COMPANY_PAGE)
@require_POST
@action_required(Action.TEAM_MANAGE)
def ownership_transfer(request: HttpRequest, uuid: Any) -> HttpResponse:
    membership = _member(request, uuid)
    return _run(
        request,
        lambda: team.ownership_transfer(
            company=request.tenant,  # type: ignore[attr-defined]
            to_membership=membership,
            actor=_user(request),
        ),
        _("%(email)s now owns the company. You are an admin.") % {"email": membership.user.email},
    )
