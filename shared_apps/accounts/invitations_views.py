"""The invitation link (public host): `/invite/<token>/`.

Anyone with the link sees which company and role it is for. A signed-in person accepts with
a button (only if they verified the invited address), then goes to the company through
`/go/<subdomain>/`; an anonymous visitor gets sign-in and sign-up links that come back here.
Unknown tokens get 404; expired, revoked or used ones 400; neither changes anything.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from shared_apps.accounts import team
from shared_apps.accounts.models import Invitation, User

TEMPLATE = "invitations/invite.html"


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the path: never send it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return _no_referrer(render(request, TEMPLATE, {"problem": message}, status=status))


def _page(request: HttpRequest, invitation: Invitation, token: str, status: int = 200,
          error: str = "") -> HttpResponse:  # fmt: skip
    here = f"/invite/{token}/"
    user = request.user
    matches = isinstance(user, User) and invitation.email.lower() in team._verified_emails(user)
    return _no_referrer(
        render(
            request,
            TEMPLATE,
            {
                "invitation": invitation,
                "company": invitation.company,
                "inviter": invitation.invited_by,
                "email_matches": matches,
                "error": error,
                "login_url": "/accounts/login/?" + urlencode({"next": here}),
                # the sign-up form starts with the invited address (allauth reads `email`)
                "signup_url": "/accounts/signup/?"
                + urlencode({"next": here, "email": invitation.email}),
            },
            status=status,
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = team.invitation_get(token=token)
    except team.InvitationNotFound:
        return _problem(request, _("This invitation link is not valid."), 404)
    problem = team.invitation_problem(invitation)
    if problem is not None:
        return _problem(request, problem, 400)
    if request.method == "GET":
        return _page(request, invitation, token)
    if not request.user.is_authenticated:
        return HttpResponseRedirect("/accounts/login/?" + urlencode({"next": request.path}))
    assert isinstance(request.user, User)
    try:
        team.invitation_accept(token=token, user=request.user)
    except team.InvitationNotFound:
        return _problem(request, _("This invitation link is not valid."), 404)
    except ValidationError as exc:  # InvitationInvalid, LimitReached: a message each
        return _page(request, invitation, token, status=400, error=" ".join(exc.messages))
    return HttpResponseRedirect(f"/go/{invitation.company.subdomain}/")
