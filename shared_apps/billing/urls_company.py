"""Billing pages on a company host (included from saas/urls_tenant.py)."""

from django.urls import URLPattern

app_name = "billing"

urlpatterns: list[URLPattern] = []
