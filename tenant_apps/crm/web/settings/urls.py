"""URLs of this CRM area; included by tenant_apps/crm/urls.py."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
