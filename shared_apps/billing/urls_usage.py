"""The usage page on a company host (included from saas/urls_tenant.py at /billing/usage/)."""

from django.urls import path

from shared_apps.billing import usage_views

app_name = "usage"

urlpatterns = [
    path("", usage_views.usage_page, name="usage"),
]
