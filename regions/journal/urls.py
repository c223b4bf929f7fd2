"""Pages: ``/journal/…`` (teachers, school admins), ``/diary/…`` (students, parents),
``/notifications/…`` (everybody). Included by ``config/urls_region.py``."""

from django.urls import path

from regions.journal import views

journal_patterns = [
    path("", views.journal_index, name="index"),
    path("<str:kind>/<int:target_id>/<int:subject_id>/", views.journal_grid, name="grid"),
    path("<str:kind>/<int:target_id>/<int:subject_id>/year/", views.journal_year, name="year"),
    path("lesson/<int:lesson_id>/", views.lesson_detail, name="lesson"),
    path("files/<int:file_id>/", views.homework_file, name="homework-file"),
    path("audit/", views.journal_audit, name="audit"),
]

diary_patterns = [
    path("", views.diary_week, name="week"),
    path("marks/", views.diary_marks, name="marks"),
    path("homework/<int:homework_id>/done/", views.homework_done, name="homework-done"),
]

notification_patterns = [
    path("", views.notifications, name="list"),
    path("read/", views.notifications_read, name="read"),
    path("settings/", views.notification_settings, name="settings"),
]
