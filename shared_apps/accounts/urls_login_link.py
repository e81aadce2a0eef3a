"""The one-time sign-in link, on the public host (company hosts pass these paths on)."""

from django.urls import path

from shared_apps.accounts import login_link_views

urlpatterns = [
    path("login/link/", login_link_views.login_link_request, name="account_login_link"),
    path(
        "login/link/<str:token>/",
        login_link_views.login_link_open,
        name="account_login_link_open",
    ),
]
