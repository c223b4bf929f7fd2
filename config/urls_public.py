"""URLs of the platform's own host: the federal operator's console and the federal API."""

from django.urls import include, path

from core import views as core_views
from tenants import views as tenant_views
from tenants.imports import views as import_views

urlpatterns = [
    path("", tenant_views.console, name="console"),
    path("imports/<int:pk>/", import_views.import_job_detail, name="import-job"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("core.urls")),
    path("api/v1/", include("api.urls_public")),
    path("api/", include("api.schema")),
]
