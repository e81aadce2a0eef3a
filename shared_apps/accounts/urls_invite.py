from django.urls import path

from shared_apps.accounts import invitations_views

urlpatterns = [
    path("<str:token>/", invitations_views.invitation_page, name="invitation"),
]
