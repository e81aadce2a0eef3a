from django.urls import path

from tenant_apps.team import views

urlpatterns = [
    path("", views.team_list, name="team"),
    path("invite/", views.invitation_create, name="team_invite"),
    path("invitations/<uuid:uuid>/resend/", views.invitation_resend, name="team_invitation_resend"),
    path("invitations/<uuid:uuid>/revoke/", views.invitation_revoke, name="team_invitation_revoke"),
    path("members/<uuid:uuid>/role/", views.member_role, name="team_member_role"),
    path("members/<uuid:uuid>/remove/", views.member_remove, name="team_member_remove"),
    path("members/<uuid:uuid>/transfer/", views.ownership_transfer, name="team_transfer"),
]
