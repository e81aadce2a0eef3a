"""Billing pages on a company host (included from saas/urls_tenant.py)."""

from django.urls import URLPattern

app_name = "usage"

urlpatterns: list[URLPattern] = []
