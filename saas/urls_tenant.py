"""URLs of a company host (`<subdomain>.<base domain>`)."""

from django.urls import include, path

from shared_apps.accounts.language import language_switch
from tenant_apps.workspace.views import checklist_hide, home

urlpatterns = [
    path("", home, name="home"),
    path("checklist/hide/", checklist_hide, name="checklist_hide"),
    path("", include("tenant_apps.crm.urls")),
    path("settings/security/", include("tenant_apps.security.urls")),
    path("team/", include("tenant_apps.team.urls")),
    path("", include("shared_apps.onboarding.urls_company")),
    # The company's plan, subscription and invoices (owner), and usage against the limits.
    path("billing/", include("shared_apps.billing.urls_company")),
    path("billing/usage/", include("shared_apps.billing.urls_usage")),
    # Sign-in, password reset, MFA and sessions on the company host itself. Sign-up (refused
    # here by the account adapter) and SSO callbacks live on the public host only.
    path("accounts/", include("shared_apps.accounts.urls_security")),
    # Password-reset and email-verification links continue on the public host.
    path("accounts/", include("shared_apps.accounts.urls_company")),
    path("accounts/", include("allauth.account.urls")),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("accounts/sessions/", include("allauth.usersessions.urls")),
    # The language switch also remembers the choice on the signed-in account.
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
