"""Billing pages on the public host."""

from django.urls import path

from shared_apps.billing import views

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
]
