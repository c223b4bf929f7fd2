from django.urls import path

from api import diary, journal, schools, settings, teaching, timetable

urlpatterns = [
    path("me/", schools.MeApi.as_view(), name="api-me"),
    path("schools/", schools.SchoolListApi.as_view(), name="api-schools"),
    path("schools/<int:pk>/", schools.SchoolDetailApi.as_view(), name="api-school"),
    path("schools/<int:pk>/classes/", schools.SchoolClassListApi.as_view(), name="api-school-classes"),
    path("classes/<int:pk>/students/", schools.ClassStudentListApi.as_view(), name="api-class-students"),
    path("students/<int:pk>/", schools.StudentDetailApi.as_view(), name="api-student"),
    # region defaults and school overrides (school year, assessment, bells)
    path("region/timezone/", settings.RegionTimezoneApi.as_view(), name="api-region-timezone"),
    path("academic-years/", settings.AcademicYearListApi.as_view(), name="api-academic-years"),
    path(
        "academic-years/proposal/",
        settings.AcademicYearProposalApi.as_view(),
        name="api-academic-year-proposal",
    ),
    path("academic-years/<int:year_id>/", settings.AcademicYearDetailApi.as_view(), name="api-academic-year"),
    path("grading-scales/", settings.GradingScaleListApi.as_view(), name="api-grading-scales"),
    path(
        "grading-scales/<int:scale_id>/", settings.GradingScaleDetailApi.as_view(), name="api-grading-scale"
    ),
    path("control-forms/", settings.ControlFormListApi.as_view(), name="api-control-forms"),
    path("control-forms/<int:form_id>/", settings.ControlFormDetailApi.as_view(), name="api-control-form"),
    path("bell-schedules/", settings.BellScheduleListApi.as_view(), name="api-bell-schedules"),
    path(
        "bell-schedules/<int:schedule_id>/",
        settings.BellScheduleDetailApi.as_view(),
        name="api-bell-schedule",
    ),
    path(
        "schools/<int:school_id>/settings/", settings.SchoolSettingsApi.as_view(), name="api-school-settings"
    ),
    path(
        "schools/<int:school_id>/settings/override/",
        settings.SchoolSettingsOverrideApi.as_view(),
        name="api-school-settings-override",
    ),
    path(
        "schools/<int:school_id>/settings/revert/",
        settings.SchoolSettingsRevertApi.as_view(),
        name="api-school-settings-revert",
    ),
    path(
        "settings-copy/preview/", settings.SettingsCopyPreviewApi.as_view(), name="api-settings-copy-preview"
    ),
    path("settings-copy/", settings.SettingsCopyApi.as_view(), name="api-settings-copy"),
    # subjects, classes, rooms, groups, curriculum, teacher load
    path("subjects/", teaching.SubjectListApi.as_view(), name="api-subjects"),
    path("classes/<int:class_id>/", teaching.SchoolClassDetailApi.as_view(), name="api-class"),
    path("classes/<int:class_id>/split/", teaching.ClassSplitApi.as_view(), name="api-class-split"),
    path("schools/<int:school_id>/rooms/", teaching.RoomListApi.as_view(), name="api-rooms"),
    path("rooms/<int:room_id>/", teaching.RoomDetailApi.as_view(), name="api-room"),
    path("schools/<int:school_id>/groups/", teaching.GroupListApi.as_view(), name="api-groups"),
    path("groups/<int:group_id>/", teaching.GroupDetailApi.as_view(), name="api-group"),
    path("groups/<int:group_id>/members/", teaching.GroupMembersApi.as_view(), name="api-group-members"),
    path("curriculum/", teaching.CurriculumApi.as_view(), name="api-curriculum"),
    path("curriculum/fill-from-model/", teaching.CurriculumFillApi.as_view(), name="api-curriculum-fill"),
    path("schools/<int:school_id>/teaching/", teaching.AssignmentListApi.as_view(), name="api-teaching"),
    path("teaching/<int:assignment_id>/", teaching.AssignmentDetailApi.as_view(), name="api-teaching-detail"),
    path("schools/<int:school_id>/load/", teaching.LoadSummaryApi.as_view(), name="api-load"),
    # timetable and dated lessons
    path(
        "schools/<int:school_id>/timetable/", timetable.TimetableEntryListApi.as_view(), name="api-timetable"
    ),
    path(
        "timetable/<int:entry_id>/", timetable.TimetableEntryDetailApi.as_view(), name="api-timetable-entry"
    ),
    path("classes/<int:class_id>/week/", timetable.ClassWeekApi.as_view(), name="api-class-week"),
    path(
        "schools/<int:school_id>/timetable/copy-week/", timetable.CopyWeekApi.as_view(), name="api-copy-week"
    ),
    path(
        "schools/<int:school_id>/timetable/conflicts/", timetable.ConflictsApi.as_view(), name="api-conflicts"
    ),
    path("schools/<int:school_id>/timetable/autofill/", timetable.AutofillApi.as_view(), name="api-autofill"),
    path("schools/<int:school_id>/lessons/", timetable.LessonListApi.as_view(), name="api-lessons"),
    path(
        "schools/<int:school_id>/lessons/generate/",
        timetable.GenerateApi.as_view(),
        name="api-lessons-generate",
    ),
    path(
        "lessons/<int:lesson_id>/substitute/",
        timetable.LessonSubstituteApi.as_view(),
        name="api-lesson-substitute",
    ),
    path("lessons/<int:lesson_id>/cancel/", timetable.LessonCancelApi.as_view(), name="api-lesson-cancel"),
    path("lessons/<int:lesson_id>/restore/", timetable.LessonRestoreApi.as_view(), name="api-lesson-restore"),
    path("lessons/<int:lesson_id>/move/", timetable.LessonMoveApi.as_view(), name="api-lesson-move"),
    path("lessons/<int:lesson_id>/remote/", timetable.LessonRemoteApi.as_view(), name="api-lesson-remote"),
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
