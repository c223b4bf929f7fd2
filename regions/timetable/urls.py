from django.urls import path

from regions.timetable import views

urlpatterns = [
    path("schools/<int:school_id>/timetable/", views.timetable_page, name="school-timetable"),
    path(
        "schools/<int:school_id>/timetable/actions/", views.timetable_action, name="school-timetable-action"
    ),
    path("schools/<int:school_id>/timetable/conflicts/", views.conflicts_page, name="school-conflicts"),
    path(
        "schools/<int:school_id>/timetable/teacher/<int:person_id>/",
        views.teacher_week_page,
        name="teacher-week",
    ),
    path("schools/<int:school_id>/timetable/room/<int:room_id>/", views.room_week_page, name="room-week"),
    path("schools/<int:school_id>/lessons/", views.lessons_page, name="school-lessons"),
]
