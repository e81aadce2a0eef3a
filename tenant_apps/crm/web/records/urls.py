"""Create, detail, edit, delete/restore, bin, merge and quick-add pages of organizations,
contacts and deals."""

from django.urls import URLPattern, path

from tenant_apps.crm.web.records import activity, activity_new, merging, views
from tenant_apps.crm.web.records.kinds import KINDS

_PLURAL = {"organization": "organizations", "contact": "contacts", "deal": "deals"}


def _record_urls(name: str) -> list[URLPattern]:
    kind = {"kind": KINDS[name]}
    base = _PLURAL[name]
    urls = [
        path(f"{base}/new/", views.record_create, kind, name=f"{name}_create"),
        path(f"{base}/deleted/", views.record_bin, kind, name=f"{name}_bin"),
        path(f"{base}/<int:pk>/", views.record_detail, kind, name=f"{name}_detail"),
        path(f"{base}/<int:pk>/edit/", views.record_edit, kind, name=f"{name}_edit"),
        path(f"{base}/<int:pk>/delete/", views.record_delete, kind, name=f"{name}_delete"),
        path(f"{base}/<int:pk>/restore/", views.record_restore, kind, name=f"{name}_restore"),
        path(f"{base}/<int:pk>/tasks/", activity.activity_add, kind, name=f"{name}_task_add"),
        *[
            path(
                f"{base}/<int:pk>/{plural}/",
                activity.activity_add,
                {**kind, "activity_kind": logged},
                name=f"{name}_{logged}_add",
            )
            for logged, plural in (("call", "calls"), ("meeting", "meetings"), ("email", "emails"))
        ],
        path(f"{base}/<int:pk>/notes/", activity.note_add, kind, name=f"{name}_note_add"),
    ]
    if KINDS[name].merge is not None:
        urls.append(
            path(f"{base}/<int:pk>/merge/", merging.record_merge, kind, name=f"{name}_merge")
        )
    return urls


urlpatterns = [
    *_record_urls("organization"),
    *_record_urls("contact"),
    *_record_urls("deal"),
    path("deals/stages/", views.deal_stage_options, name="deal_stage_options"),
    path("activities/new/", activity_new.activity_new, name="activity_create"),
    path("activities/<int:pk>/delete/", activity.activity_remove, name="activity_delete"),
    path("notes/<int:pk>/edit/", activity.note_edit, name="note_edit"),
    path("notes/<int:pk>/pin/", activity.note_pin_toggle, name="note_pin"),
    path("notes/<int:pk>/delete/", activity.note_remove, name="note_delete"),
]
