"""Region API: schools, classes and students of the region the request was routed to, each
narrowed by the permission matrix (``regions.access.viewer_for``). What a viewer may not see
answers 404, exactly like what does not exist."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsRegionUser
from core.sso.config import realm_for_tenant
from core.sso.events import auth_event
from regions.access import viewer_for
from regions.people.models import Person
from regions.schools import selectors
from regions.schools.models import School, SchoolClass


def _denied(request, what: str) -> NotFound:
    realm = realm_for_tenant(getattr(request._request, "tenant", None))
    auth_event("access_denied", realm=realm.name, user_id=request.user.pk, reason=what, path=request.path)
    return NotFound(_("Не найдено или нет доступа"))


class SchoolOutput(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = [
            "id",
            "ogrn",
            "inn",
            "kpp",
            "short_name",
            "full_name",
            "municipality",
            "address",
            "kind",
            "is_active",
        ]


class SchoolClassOutput(serializers.ModelSerializer):
    class Meta:
        model = SchoolClass
        fields = ["id", "school", "name", "parallel", "letter", "class_teacher", "shift", "is_active"]


class StudentOutput(serializers.ModelSerializer):
    """A student as a class list shows them: no SNILS, no contacts."""

    class Meta:
        model = Person
        fields = ["id", "surname", "name", "patronymic"]


class SchoolListApi(ListAPIView):
    permission_classes = [IsRegionUser]
    serializer_class = SchoolOutput

    def get_queryset(self):
        return selectors.school_list_for(viewer=viewer_for(self.request.user))


class SchoolDetailApi(RetrieveAPIView):
    permission_classes = [IsRegionUser]
    serializer_class = SchoolOutput

    def get_object(self):
        school = selectors.school_get_for(viewer=viewer_for(self.request.user), school_id=self.kwargs["pk"])
        if school is None:
            raise _denied(self.request, "school")
        return school


class SchoolClassListApi(ListAPIView):
    permission_classes = [IsRegionUser]
    serializer_class = SchoolClassOutput

    def get_queryset(self):
        viewer = viewer_for(self.request.user)
        school = selectors.school_get_for(viewer=viewer, school_id=self.kwargs["pk"])
        if school is None:
            raise _denied(self.request, "school")
        return selectors.class_list_for(viewer=viewer, school=school)


class ClassStudentListApi(ListAPIView):
    permission_classes = [IsRegionUser]
    serializer_class = StudentOutput

    def get_queryset(self):
        school_class = selectors.class_get_for(
            viewer=viewer_for(self.request.user), class_id=self.kwargs["pk"]
        )
        if school_class is None:
            raise _denied(self.request, "class")
        return selectors.class_students(school_class=school_class)


class StudentDetailApi(RetrieveAPIView):
    permission_classes = [IsRegionUser]
    serializer_class = StudentOutput

    def get_object(self):
        person = selectors.student_get_for(viewer=viewer_for(self.request.user), person_id=self.kwargs["pk"])
        if person is None:
            raise _denied(self.request, "person")
        return person


class MeApi(APIView):
    permission_classes = [IsRegionUser]

    @extend_schema(
        operation_id="me_retrieve",
        responses=inline_serializer(
            "Me",
            {
                "user_id": serializers.IntegerField(),
                "roles": serializers.ListField(child=serializers.CharField()),
                "person_id": serializers.IntegerField(allow_null=True),
                "children": serializers.ListField(child=serializers.IntegerField()),
                "schools": serializers.ListField(child=serializers.IntegerField()),
            },
        ),
        summary="Кто я: роли, человек в реестре, дети, школы",
    )
    def get(self, request):
        viewer = viewer_for(request.user)
        return Response(
            {
                "user_id": request.user.pk,
                "roles": sorted(viewer.roles),
                "person_id": viewer.person_id,
                "children": sorted(viewer.child_ids),
                "schools": sorted(viewer.visible_school_ids),
            }
        )
