"""URLs of a company host (`<subdomain>.<base domain>`)."""

from django.urls import include, path

from tenant_apps.workspace.views import home

urlpatterns = [
    path("", home, name="home"),
    # Sign-in, password reset, MFA and sessions on the company host itself (sign-up is
    # refused here by the account adapter; it happens on the public host).
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
