from django.urls import path

from api import schools

urlpatterns = [
    path("schools/", schools.SchoolListApi.as_view(), name="api-schools"),
]
