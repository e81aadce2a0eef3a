"""Account-level paths a company host does not serve: they continue on the public host
(shared_apps/accounts/public_links.py). Included before allauth's URLs in saas/urls_tenant.py."""

from django.urls import path

from shared_apps.accounts.public_links import to_public_host

urlpatterns = [
    path("password/reset/key/<path:rest>", to_public_host, name="company_reset_to_public"),
    path("confirm-email/<str:key>/", to_public_host, name="company_confirm_email_to_public"),
]
