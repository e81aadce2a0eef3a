"""URLs of a company host (`<subdomain>.<base domain>`)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from tenant_apps.workspace.views import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="auth/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
]
