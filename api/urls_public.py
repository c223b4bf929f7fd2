from django.urls import path

from api import imports, regions

urlpatterns = [
    path("regions/", regions.RegionListApi.as_view(), name="api-regions"),
    path("regions/<str:code>/", regions.RegionDetailApi.as_view(), name="api-region"),
    path("regions/<str:code>/domains/", regions.RegionDomainsApi.as_view(), name="api-region-domains"),
    path(
        "regions/<str:code>/domains/<str:domain>/",
        regions.RegionDomainDetailApi.as_view(),
        name="api-region-domain",
    ),
    path("regions/<str:code>/suspend/", regions.RegionSuspendApi.as_view(), name="api-region-suspend"),
    path("regions/<str:code>/resume/", regions.RegionResumeApi.as_view(), name="api-region-resume"),
    path("regions/<str:code>/archive/", regions.RegionArchiveApi.as_view(), name="api-region-archive"),
    path("regions/<str:code>/imports/", imports.RegionImportListApi.as_view(), name="api-region-imports"),
    path("imports/<int:pk>/", imports.ImportJobDetailApi.as_view(), name="api-import"),
    path(
        "imports/<int:pk>/rejections.csv",
        imports.ImportRejectionsCsvApi.as_view(),
        name="api-import-rejections",
    ),
    path("federal-subjects/", regions.FederalSubjectListApi.as_view(), name="api-federal-subjects"),
]
