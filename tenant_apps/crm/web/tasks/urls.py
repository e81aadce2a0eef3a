"""My tasks and notifications; included by tenant_apps/crm/urls.py under `tasks/`."""

from django.urls import path

from tenant_apps.crm.web.tasks import views

urlpatterns = [
    path("", views.my_tasks, name="my_tasks"),
    path("new/", views.task_add, name="task_add"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<int:pk>/done/", views.task_done, name="task_done"),
    path("<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
]
