"""CRM settings (owners and admins); included by tenant_apps/crm/urls.py under
`settings/crm/`."""

from django.urls import path

from tenant_apps.crm.web.settings import lost_reasons, views

urlpatterns = [
    path("", views.settings_index, name="settings"),
    path("pipelines/", views.pipeline_list, name="settings_pipelines"),
    path("pipelines/new/", views.pipeline_create, name="settings_pipeline_create"),
    path("pipelines/<int:pk>/", views.pipeline_detail, name="settings_pipeline"),
    path("pipelines/<int:pk>/rename/", views.pipeline_rename, name="settings_pipeline_rename"),
    path("pipelines/<int:pk>/default/", views.pipeline_default, name="settings_pipeline_default"),
    path("pipelines/<int:pk>/delete/", views.pipeline_delete, name="settings_pipeline_delete"),
    path("pipelines/<int:pk>/stages/new/", views.stage_create, name="settings_stage_create"),
    path("stages/<int:pk>/", views.stage_update, name="settings_stage_update"),
    path("stages/<int:pk>/move/", views.stage_move, name="settings_stage_move"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="settings_stage_delete"),
    path("fields/", views.field_list, name="settings_fields"),
    path("fields/new/", views.field_create, name="settings_field_create"),
    path("fields/<int:pk>/", views.field_edit, name="settings_field_edit"),
    path("fields/<int:pk>/delete/", views.field_delete, name="settings_field_delete"),
    path("tags/", views.tag_list, name="settings_tags"),
    path("tags/new/", views.tag_create, name="settings_tag_create"),
    path("tags/<int:pk>/", views.tag_update, name="settings_tag_update"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="settings_tag_delete"),
    path("lost-reasons/", lost_reasons.lost_reason_list, name="settings_lost_reasons"),
    path("lost-reasons/new/", lost_reasons.lost_reason_create, name="settings_lost_reason_create"),
    path(
        "lost-reasons/<int:pk>/",
        lost_reasons.lost_reason_update,
        name="settings_lost_reason_update",
    ),
    path(
        "lost-reasons/<int:pk>/delete/",
        lost_reasons.lost_reason_delete,
        name="settings_lost_reason_delete",
    ),
    path(
        "lost-reasons/<int:pk>/restore/",
        lost_reasons.lost_reason_restore,
        name="settings_lost_reason_restore",
    ),
]
