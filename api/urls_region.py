from django.urls import path

from api import diary, journal, schools

urlpatterns = [
    path("schools/", schools.SchoolListApi.as_view(), name="api-schools"),
    # the class journal
    path("journal/", journal.JournalListApi.as_view(), name="api-journal-list"),
    path(
        "journal/<str:kind>/<int:target_id>/<int:subject_id>/",
        journal.JournalGridApi.as_view(),
        name="api-journal-grid",
    ),
    path("journal/marks/", journal.MarkCreateApi.as_view(), name="api-journal-marks"),
    path("journal/marks/<int:mark_id>/", journal.MarkDetailApi.as_view(), name="api-journal-mark"),
    path("journal/attendance/", journal.AttendanceSetApi.as_view(), name="api-journal-attendance"),
    path(
        "journal/attendance/<int:attendance_id>/",
        journal.AttendanceDetailApi.as_view(),
        name="api-journal-attendance-detail",
    ),
    path(
        "journal/lessons/<int:lesson_id>/topic/", journal.LessonTopicApi.as_view(), name="api-journal-topic"
    ),
    path("journal/homework/", journal.HomeworkCreateApi.as_view(), name="api-journal-homework"),
    path(
        "journal/homework/<int:homework_id>/",
        journal.HomeworkDetailApi.as_view(),
        name="api-journal-homework-detail",
    ),
    path(
        "journal/homework/<int:homework_id>/variants/<int:student_id>/",
        journal.HomeworkVariantApi.as_view(),
        name="api-journal-homework-variant",
    ),
    path(
        "journal/homework/<int:homework_id>/files/",
        journal.HomeworkFileApi.as_view(),
        name="api-journal-homework-files",
    ),
    path("journal/finals/", journal.FinalSetApi.as_view(), name="api-journal-finals"),
    path("journal/finals/<int:final_id>/", journal.FinalDetailApi.as_view(), name="api-journal-final"),
    path("journal/audit/", journal.JournalAuditApi.as_view(), name="api-journal-audit"),
    # the diary
    path("diary/", diary.DiaryChildrenApi.as_view(), name="api-diary-children"),
    path("diary/<int:student_id>/week/", diary.DiaryWeekApi.as_view(), name="api-diary-week"),
    path("diary/<int:student_id>/marks/", diary.DiaryMarksApi.as_view(), name="api-diary-marks"),
    path("diary/homework/<int:homework_id>/done/", diary.HomeworkDoneApi.as_view(), name="api-diary-done"),
    # notifications
    path("notifications/", diary.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/read/", diary.NotificationReadApi.as_view(), name="api-notifications-read"),
    path(
        "notifications/preferences/",
        diary.NotificationPreferenceApi.as_view(),
        name="api-notification-preferences",
    ),
]
