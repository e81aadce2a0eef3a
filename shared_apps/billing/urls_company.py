"""Billing pages on a company host (included from saas/urls_tenant.py at /billing/; the
usage page is billing/usage/, in urls_usage.py)."""

from django.urls import URLPattern, path

from shared_apps.billing import company_views

app_name = "billing"

urlpatterns: list[URLPattern] = [
    path("", company_views.overview, name="overview"),
    path("subscribe/", company_views.subscribe, name="subscribe"),
    path("checkout/done/", company_views.checkout_done, name="checkout_done"),
    path("change/", company_views.change, name="change"),
    path("cancel/", company_views.cancel, name="cancel"),
    path("resume/", company_views.resume, name="resume"),
    path("portal/", company_views.portal, name="portal"),
]
