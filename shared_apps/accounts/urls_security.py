"""The person's security page, on the public host and on every company host."""

from django.urls import path

from shared_apps.accounts import security_views

urlpatterns = [
    path("security/", security_views.account_security, name="account_security"),
    path(
        "security/sign-out-everywhere/",
        security_views.sign_out_everywhere,
        name="account_sign_out_everywhere",
    ),
]
