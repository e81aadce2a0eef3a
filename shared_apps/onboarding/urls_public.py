from django.urls import path

from shared_apps.onboarding import views

urlpatterns = [
    path("welcome/", views.welcome, name="onboarding_welcome"),
    path("welcome/check/", views.subdomain_availability, name="onboarding_subdomain_check"),
    path("welcome/suggest/", views.subdomain_suggestion, name="onboarding_subdomain_suggest"),
    path("go/<slug:subdomain>/", views.go, name="onboarding_go"),
]
