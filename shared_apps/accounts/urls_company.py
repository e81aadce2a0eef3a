"""Account-level paths a company host does not serve (password-reset, verification and
one-time sign-in links): they continue on the public host (accounts/public_links.py).
Included before allauth's URLs in saas/urls_tenant.py."""

from django.urls import path

from shared_apps.accounts.public_links import to_public_host

urlpatterns = [
    path("password/reset/key/<path:rest>", to_public_host, name="company_reset_to_public"),
    path("confirm-email/<str:key>/", to_public_host, name="company_confirm_email_to_public"),
    path("login/link/", to_public_host, name="company_login_link_to_public"),
    path("login/link/<str:token>/", to_public_host, name="company_login_link_open_to_public"),
]
