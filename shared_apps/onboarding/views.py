"""Onboarding (public host), the login handoff between hosts, and SSO from company hosts."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    ImproperlyConfigured,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import get_urlconf, set_urlconf
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from shared_apps.accounts.handoff import HandoffError, handoff_issue, handoff_redeem
from shared_apps.accounts.models import Membership, User
from shared_apps.accounts.url_access import OPEN, url_access
from shared_apps.onboarding.forms import CompanyCreateForm
from shared_apps.onboarding.services import (
    company_create_for_user,
    company_url,
    public_url,
    subdomain_check,
    subdomain_normalize,
)
from shared_apps.onboarding.suggest import subdomain_suggest
from shared_apps.tenants.models import Company
from shared_apps.tenants.services import ProvisioningError

ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _handoff_redirect(request: HttpRequest, *, user: User, company: Company) -> HttpResponse:
    token = handoff_issue(user=user, company=company, request=request)
    return HttpResponseRedirect(
        company_url(request, company.subdomain, "/handoff/?" + urlencode({"token": token}))
    )


# --- public host --------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """After sign-up or sign-in: the person's companies, and a form to create one."""
    user = _user(request)
    status = 200
    if request.method == "POST":
        form = CompanyCreateForm(request.POST)
        if form.suggestion_offered():
            # Without JavaScript the subdomain may come empty: the form comes back with
            # one suggested from the name, to confirm (not an error).
            pass
        elif form.is_valid():
            try:
                company = company_create_for_user(
                    user=user,
                    name=form.cleaned_data["name"],
                    subdomain=form.cleaned_data["subdomain"],
                    language=translation.get_language() or "",
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            except ProvisioningError:
                form.add_error(
                    None, _("We could not create the company right now. Please try again later.")
                )
                status = 503
            else:
                return _handoff_redirect(request, user=user, company=company)
            status = 400 if status == 200 else status
        else:
            status = 400
    else:
        form = CompanyCreateForm()
    memberships = (
        Membership.objects.filter(user=user, company__status=Company.Status.ACTIVE)
        .select_related("company")
        .order_by("company__name")
    )
    return render(
        request,
        "onboarding/welcome.html",
        {"form": form, "memberships": memberships, "base_domain": settings.BASE_DOMAIN},
        status=status,
    )


@never_cache
@login_required
@require_GET
def subdomain_availability(request: HttpRequest) -> JsonResponse:
    """{available, message} for ?subdomain=…, in the request's language."""
    available, message = subdomain_check(
        subdomain=subdomain_normalize(request.GET.get("subdomain", ""))
    )
    return JsonResponse({"available": available, "message": message})


@never_cache
@login_required
@require_GET
def subdomain_suggestion(request: HttpRequest) -> JsonResponse:
    """{subdomain} suggested for ?name=… (a company name): free, valid, not reserved."""
    return JsonResponse({"subdomain": subdomain_suggest(name=request.GET.get("name", "")[:200])})


@never_cache
@login_required
@require_GET
def go(request: HttpRequest, subdomain: str) -> HttpResponse:
    """Sign the person in on one of their companies' hosts (through a handoff token)."""
    user = _user(request)
    company = Company.objects.filter(subdomain=subdomain, status=Company.Status.ACTIVE).first()
    # As on company hosts: a company you do not belong to looks like no company at all.
    if company is None or not Membership.objects.filter(user=user, company=company).exists():
        raise Http404
    return _handoff_redirect(request, user=user, company=company)


# --- company host -----------------------------------------------------------------------------


@url_access(OPEN)
@never_cache
@require_GET
def handoff(request: HttpRequest) -> HttpResponse:
    """Redeem a handoff token and open a fresh session on this (company) host."""
    company = request.tenant  # type: ignore[attr-defined]
    try:
        user = handoff_redeem(token=request.GET.get("token", ""), company=company, request=request)
    except HandoffError as exc:
        response = render(
            request,
            "onboarding/handoff_error.html",
            {"message": exc.message, "login_url": public_url(request, "/accounts/login/")},
            status=400,
        )
        response["Referrer-Policy"] = "no-referrer"
        return response
    # A new session whatever was here before (another person, or a fixated key).
    request.session.flush()
    login(request, user, backend=ALLAUTH_BACKEND)
    response = HttpResponseRedirect("/")
    response["Referrer-Policy"] = "no-referrer"
    # The company opens in the person's language (chosen at sign-up or with the switch on
    # any host), not the browser's: the language cookie belongs to one host only.
    if user.language in {code for code, _label in settings.LANGUAGES}:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@url_access(OPEN)
@never_cache
@require_GET
def sso_start(request: HttpRequest, provider_id: str) -> HttpResponse:
    """SSO from a company host: sign in on the public host (the only callback the provider
    knows), then come back here through /go/<subdomain>/."""
    try:
        provider = get_social_adapter(request).get_provider(request, provider_id)
    except (ObjectDoesNotExist, MultipleObjectsReturned, ImproperlyConfigured) as exc:
        raise Http404 from exc
    company = request.tenant  # type: ignore[attr-defined]
    # The provider's routes exist only in the public URLconf.
    previous = get_urlconf()
    set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
    try:
        path = provider.get_login_url(request, process="login", next=f"/go/{company.subdomain}/")
    finally:
        set_urlconf(previous)
    return HttpResponseRedirect(public_url(request, path))


@url_access(OPEN)
@require_GET
def signup_elsewhere(request: HttpRequest) -> HttpResponse:
    """Company hosts sign people in; creating an account happens on the public host."""
    return HttpResponseRedirect(public_url(request, "/accounts/signup/"))
