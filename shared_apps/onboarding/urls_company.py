from django.urls import path

from shared_apps.onboarding import views

urlpatterns = [
    path("handoff/", views.handoff, name="onboarding_handoff"),
    path("sso/<str:provider_id>/", views.sso_start, name="onboarding_sso"),
]
