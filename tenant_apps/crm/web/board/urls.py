"""URLs of the pipeline board; included by tenant_apps/crm/urls.py under `board/`."""

from django.urls import path

from tenant_apps.crm.web.board import lost, views

urlpatterns = [
    path("", views.board, name="board"),
    path("move/", views.move, name="board_move"),
    path("stages/<int:stage_id>/cards/", views.column_more, name="board_column"),
    path("deals/<int:pk>/lost/", lost.deal_mark_lost, name="deal_mark_lost"),
]
