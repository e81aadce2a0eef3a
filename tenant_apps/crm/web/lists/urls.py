"""List pages and their CSV exports; included by tenant_apps/crm/urls.py."""

from django.urls import path

from tenant_apps.crm.web.lists import views

urlpatterns = [
    path("organizations/", views.list_page, {"entity": "organization"}, name="organization_list"),
    path(
        "organizations/export/",
        views.export_csv,
        {"entity": "organization"},
        name="organization_export",
    ),
    path("contacts/", views.list_page, {"entity": "contact"}, name="contact_list"),
    path("contacts/export/", views.export_csv, {"entity": "contact"}, name="contact_export"),
    path("deals/", views.list_page, {"entity": "deal"}, name="deal_list"),
    path("deals/export/", views.export_csv, {"entity": "deal"}, name="deal_export"),
    path("activities/", views.list_page, {"entity": "activity"}, name="activity_list"),
    path("activities/export/", views.export_csv, {"entity": "activity"}, name="activity_export"),
]
