"""URLs of this CRM area; included by tenant_apps/crm/urls.py."""

from django.urls import URLPattern, path

from tenant_apps.crm.web.search import views

urlpatterns: list[URLPattern] = [
    path("", views.search_page, name="search"),
    path("results/", views.search_results, name="search_results"),
]
