from django.urls import path

from api import schools

urlpatterns = [
    path("me/", schools.MeApi.as_view(), name="api-me"),
    path("schools/", schools.SchoolListApi.as_view(), name="api-schools"),
    path("schools/<int:pk>/", schools.SchoolDetailApi.as_view(), name="api-school"),
    path("schools/<int:pk>/classes/", schools.SchoolClassListApi.as_view(), name="api-school-classes"),
    path("classes/<int:pk>/students/", schools.ClassStudentListApi.as_view(), name="api-class-students"),
    path("students/<int:pk>/", schools.StudentDetailApi.as_view(), name="api-student"),
]
