from django.urls import path

from tenant_apps.security import views

urlpatterns = [
    path("", views.security_settings, name="security_settings"),
    path("events/", views.security_events, name="security_events"),
]
