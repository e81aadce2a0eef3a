"""URLs of the public host: sign-up, platform admin."""

from django.contrib import admin
from django.urls import include, path

from shared_apps.accounts.language import language_switch
from shared_apps.tenants.views import landing

urlpatterns = [
    path("", landing, name="landing"),
    path("admin/", admin.site.urls),
    path("", include("shared_apps.onboarding.urls_public")),
    path("", include("shared_apps.billing.urls")),
    path("stripe/", include("shared_apps.billing.webhooks")),
    path("invite/", include("shared_apps.accounts.urls_invite")),
    path("accounts/", include("shared_apps.accounts.urls_security")),
    path("accounts/", include("shared_apps.accounts.urls_login_link")),
    path("accounts/", include("allauth.urls")),
    # The language switch also remembers the choice on the signed-in account.
    path("i18n/setlang/", language_switch, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
]
