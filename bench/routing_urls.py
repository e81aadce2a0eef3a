"""The company URLconf of the routing benchmark's gunicorn processes (bench/routing_settings.py)."""

from django.urls import path

from bench import routing_views

urlpatterns = [
    path("bench/one/", routing_views.one),
    path("bench/ten/", routing_views.ten),
]
