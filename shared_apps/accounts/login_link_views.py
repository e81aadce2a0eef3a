"""Pages of the one-time sign-in link (public host only; login_link.py has the rules)."""

from __future__ import annotations

from allauth.account.utils import perform_login
from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shared_apps.accounts.login_link import (
    LoginLinkError,
    LoginLinkInvalid,
    LoginLinkLimited,
    login_link_redeem,
    login_link_send,
    login_link_valid,
)


class LoginLinkForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"), max_length=254)


@require_http_methods(["GET", "POST"])
def login_link_request(request: HttpRequest) -> HttpResponse:
    form = LoginLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            login_link_send(email=form.cleaned_data["email"], request=request)
        except LoginLinkLimited as error:
            form.add_error(None, str(error))
            return render(request, "accounts/login_link_request.html", {"form": form}, status=429)
        return render(request, "accounts/login_link_request.html", {"sent": True})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/login_link_request.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def login_link_open(request: HttpRequest, token: str) -> HttpResponse:
    # GET only shows a button: mail scanners that fetch links must not spend them.
    if request.method == "GET":
        if not login_link_valid(token=token):
            return _refused(request, LoginLinkInvalid())
        return render(request, "accounts/login_link_open.html", {})
    try:
        user = login_link_redeem(token=token, request=request)
    except LoginLinkError as error:
        return _refused(request, error)
    # allauth's login flow: a person with two-factor authentication is asked for it next.
    return perform_login(request, user)


def _refused(request: HttpRequest, error: LoginLinkError) -> HttpResponse:
    return render(request, "accounts/login_link_open.html", {"error": str(error)}, status=400)
