from django.urls import path

from shared_apps.onboarding import views

urlpatterns = [
    path("handoff/", views.handoff, name="onboarding_handoff"),
    path("sso/<str:provider_id>/", views.sso_start, name="onboarding_sso"),
    # Sign-up lives on the public host; allauth's sign-in page links here.
    path("accounts/signup/", views.signup_elsewhere, name="onboarding_signup_elsewhere"),
]
