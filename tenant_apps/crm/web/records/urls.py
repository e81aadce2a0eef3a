"""Create, detail and edit pages of organizations, contacts and deals."""

from django.urls import path

from tenant_apps.crm.web.records import views

urlpatterns = [
    path("organizations/new/", views.placeholder, name="organization_create"),
    path("organizations/<int:pk>/", views.placeholder, name="organization_detail"),
    path("contacts/new/", views.placeholder, name="contact_create"),
    path("contacts/<int:pk>/", views.placeholder, name="contact_detail"),
    path("deals/new/", views.placeholder, name="deal_create"),
    path("deals/<int:pk>/", views.placeholder, name="deal_detail"),
]
