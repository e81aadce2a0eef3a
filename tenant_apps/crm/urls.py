"""CRM pages of a company host, all under the `crm` namespace. Each area has its own module."""

from django.urls import include, path

app_name = "crm"

urlpatterns = [
    path("", include("tenant_apps.crm.web.records.urls")),
    path("", include("tenant_apps.crm.web.lists.urls")),
    path("board/", include("tenant_apps.crm.web.board.urls")),
    path("search/", include("tenant_apps.crm.web.search.urls")),
    path("tasks/", include("tenant_apps.crm.web.tasks.urls")),
    path("settings/crm/", include("tenant_apps.crm.web.settings.urls")),
    path("export/final/", include("tenant_apps.crm.web.final_export.urls")),
]
