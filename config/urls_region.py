"""URLs of a region's own hosts: served inside the region's schema."""

from django.urls import include, path

from core import views as core_views
from regions.journal import urls as journal_urls
from regions.schools import views as school_views

urlpatterns = [
    path("", school_views.region_home, name="region-home"),
    path("schools/<int:pk>/", school_views.school_detail, name="school"),
    path("classes/<int:pk>/", school_views.class_detail, name="class"),
    path("students/<int:pk>/", school_views.student_detail, name="student"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", core_views.JavaScriptCatalogView.as_view(), name="javascript-catalog"),
    path("accounts/", include("core.urls")),
    # the pages opened every day before the configuration's many patterns (resolved in order)
    path("journal/", include((journal_urls.journal_patterns, "journal"))),
    path("diary/", include((journal_urls.diary_patterns, "diary"))),
    path("notifications/", include((journal_urls.notification_patterns, "notifications"))),
    path("", include("regions.academics.urls")),
    path("", include("regions.teaching.urls")),
    path("", include("regions.timetable.urls")),
    path("api/v1/", include("api.urls_region")),
    path("api/", include("api.schema")),
]
