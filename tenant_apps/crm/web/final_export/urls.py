"""The final export download; included by tenant_apps/crm/urls.py under `export/final/`."""

from django.urls import path

from tenant_apps.crm.web.final_export import views

urlpatterns = [
    path("<str:token>/", views.final_export, name="final_export"),
]
