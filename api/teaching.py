"""Region API: subjects, a school's classes (class teacher, shift), rooms, study groups,
curriculum and teacher load."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.config_access import Id, IsConfigAdmin, admin_school, check_level, get_or_404
from regions.academics.models import AcademicYear
from regions.people.models import Person
from regions.schools.models import SchoolClass
from regions.teaching import services
from regions.teaching.models import CurriculumLine, GroupKind, Room, StudyGroup, Subject, TeachingAssignment
from regions.teaching.selectors import (
    assignment_list,
    curriculum_lines,
    group_list,
    load_summary,
    room_list,
    subject_list,
)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _in_school(model: Any, pk: Any, school_id: int, label: str) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk, school_id=school_id).first()
    if obj is None:
        raise ValidationError(
            {label: [_("Нет такого объекта (%(label)s = %(pk)s) в этой школе") % {"label": label, "pk": pk}]}
        )
    return obj


def _person(pk: Any) -> Person | None:
    if pk is None:
        return None
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        raise ValidationError({"teacher": [_("Нет человека с id %(pk)s") % {"pk": pk}]})
    return person


def _year(request: Any, pk: Any) -> AcademicYear | None:
    if pk in (None, ""):
        return None
    year = get_or_404(AcademicYear, pk)
    if year.school_id is not None:
        check_level(request, year.school_id, write=False)
    return year


# --- subjects --------------------------------------------------------------------------------------


class SubjectOutput(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "code", "name", "short_name", "is_federal", "is_active"]


class SubjectListApi(APIView):
    permission_classes = [IsConfigAdmin]
    pagination_class = None

    @extend_schema(
        operation_id="subjects_list",
        responses=SubjectOutput(many=True),
        summary="Предметы (федеральный перечень и свои)",
    )
    def get(self, request):
        return Response(SubjectOutput(subject_list(active_only=False), many=True).data)


# --- classes -------------------------------------------------------------------------------------------


class ClassOutput(serializers.ModelSerializer):
    class Meta:
        model = SchoolClass
        fields = ["id", "school", "name", "parallel", "letter", "class_teacher", "shift", "is_active"]


class ClassConfigureInput(serializers.Serializer):
    class_teacher = Id(allow_null=True)
    shift = serializers.IntegerField(min_value=1, max_value=3)


class SchoolClassDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="school_classes_configure",
        request=ClassConfigureInput,
        responses=ClassOutput,
        summary="Классный руководитель и смена (настройка школы; реестр их не меняет)",
    )
    def put(self, request, class_id: int):
        school_class = get_or_404(SchoolClass, class_id)
        admin_school(request, school_class.school_id)
        data = _valid(ClassConfigureInput, request.data)
        services.school_class_configure(
            school_class=school_class,
            class_teacher=_person(data["class_teacher"]),
            shift=data["shift"],
            actor=request.user,
        )
        return Response(ClassOutput(school_class).data)


# --- rooms ---------------------------------------------------------------------------------------------------


class RoomOutput(serializers.ModelSerializer):
    subjects: serializers.PrimaryKeyRelatedField[Subject] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Room
        fields = ["id", "school", "name", "capacity", "home_class", "subjects", "is_active"]


class RoomInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    capacity = serializers.IntegerField(
        min_value=0, max_value=10000, required=False, allow_null=True, default=None
    )
    home_class = Id(required=False, allow_null=True, default=None)
    subjects = serializers.ListField(child=Id(), required=False, default=list, max_length=50)
    is_active = serializers.BooleanField(required=False, default=True)


def _room_args(school_id: int, data: dict[str, Any]) -> dict[str, Any]:
    subjects = list(Subject.objects.filter(pk__in=data["subjects"]))
    if len(subjects) != len(set(data["subjects"])):
        raise ValidationError({"subjects": [_("Нет таких предметов")]})
    return {
        "name": data["name"],
        "capacity": data["capacity"],
        "home_class": _in_school(SchoolClass, data["home_class"], school_id, "home_class"),
        "subjects": subjects,
    }


class RoomListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="rooms_list", responses=RoomOutput(many=True))
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        return Response(RoomOutput(room_list(school_id=school.pk), many=True).data)

    @extend_schema(operation_id="rooms_create", request=RoomInput, responses={201: RoomOutput})
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(RoomInput, request.data)
        room = services.room_create(school=school, actor=request.user, **_room_args(school.pk, data))
        return Response(RoomOutput(room).data, status=status.HTTP_201_CREATED)


class RoomDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="rooms_update", request=RoomInput, responses=RoomOutput)
    def put(self, request, room_id: int):
        room = get_or_404(Room, room_id)
        admin_school(request, room.school_id)
        data = _valid(RoomInput, request.data)
        services.room_update(
            room=room, is_active=data["is_active"], actor=request.user, **_room_args(room.school_id, data)
        )
        return Response(RoomOutput(room).data)

    @extend_schema(operation_id="rooms_delete", responses={204: None})
    def delete(self, request, room_id: int):
        room = get_or_404(Room, room_id)
        admin_school(request, room.school_id)
        services.room_delete(room=room, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- study groups ---------------------------------------------------------------------------------------------


class GroupOutput(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = StudyGroup
        fields = ["id", "school", "name", "kind", "school_class", "subject", "is_active", "member_count"]


class GroupCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=GroupKind.choices)
    school_class = Id(required=False, allow_null=True, default=None)
    subject = Id(required=False, allow_null=True, default=None)
    members = serializers.ListField(child=Id(), required=False, default=list, max_length=500)


class GroupUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    subject = Id(required=False, allow_null=True, default=None)
    is_active = serializers.BooleanField(required=False, default=True)


class MembersInput(serializers.Serializer):
    members = serializers.ListField(child=Id(), max_length=500)


class SplitInput(serializers.Serializer):
    subject = Id()
    count = serializers.IntegerField(min_value=1, max_value=10, default=2)


def _subject(pk: Any) -> Subject | None:
    if pk is None:
        return None
    subject = Subject.objects.filter(pk=pk).first()
    if subject is None:
        raise ValidationError({"subject": [_("Нет предмета с id %(pk)s") % {"pk": pk}]})
    return subject


class GroupListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="groups_list", responses=GroupOutput(many=True))
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        return Response(GroupOutput(group_list(school_id=school.pk), many=True).data)

    @extend_schema(operation_id="groups_create", request=GroupCreateInput, responses={201: GroupOutput})
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(GroupCreateInput, request.data)
        group = services.study_group_create(
            school=school,
            name=data["name"],
            kind=data["kind"],
            school_class=_in_school(SchoolClass, data["school_class"], school.pk, "school_class"),
            subject=_subject(data["subject"]),
            members=list(Person.objects.filter(pk__in=data["members"])),
            actor=request.user,
        )
        return Response(
            GroupOutput(group_list(school_id=school.pk).get(pk=group.pk)).data, status=status.HTTP_201_CREATED
        )


class GroupDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="groups_update", request=GroupUpdateInput, responses=GroupOutput)
    def put(self, request, group_id: int):
        group = get_or_404(StudyGroup, group_id)
        admin_school(request, group.school_id)
        data = _valid(GroupUpdateInput, request.data)
        services.study_group_update(
            group=group,
            name=data["name"],
            subject=_subject(data["subject"]),
            is_active=data["is_active"],
            actor=request.user,
        )
        return Response(GroupOutput(group_list(school_id=group.school_id).get(pk=group.pk)).data)

    @extend_schema(operation_id="groups_delete", responses={204: None})
    def delete(self, request, group_id: int):
        group = get_or_404(StudyGroup, group_id)
        admin_school(request, group.school_id)
        services.study_group_delete(group=group, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="groups_members_set", request=MembersInput, responses=GroupOutput)
    def put(self, request, group_id: int):
        group = get_or_404(StudyGroup, group_id)
        admin_school(request, group.school_id)
        data = _valid(MembersInput, request.data)
        members = list(Person.objects.filter(pk__in=data["members"]))
        if len(members) != len(set(data["members"])):
            raise ValidationError({"members": [_("Некоторых учеников нет в реестре")]})
        services.study_group_set_members(group=group, members=members, actor=request.user)
        return Response(GroupOutput(group_list(school_id=group.school_id).get(pk=group.pk)).data)


class ClassSplitApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="school_classes_split",
        request=SplitInput,
        responses={201: GroupOutput(many=True)},
        summary="Разделить класс на подгруппы по предмету (по алфавиту)",
    )
    def post(self, request, class_id: int):
        school_class = get_or_404(SchoolClass, class_id)
        admin_school(request, school_class.school_id)
        data = _valid(SplitInput, request.data)
        subject = _subject(data["subject"])
        if subject is None:
            raise ValidationError({"subject": [_("Укажите предмет")]})
        groups = services.subgroups_split(
            school_class=school_class, subject=subject, count=data["count"], actor=request.user
        )
        rows = group_list(school_id=school_class.school_id).filter(pk__in=[g.pk for g in groups])
        return Response(GroupOutput(rows, many=True).data, status=status.HTTP_201_CREATED)


# --- curriculum ---------------------------------------------------------------------------------------------------


class CurriculumLineOutput(serializers.ModelSerializer):
    is_own = serializers.BooleanField(read_only=True)

    class Meta:
        model = CurriculumLine
        fields = ["id", "school", "academic_year", "parallel", "subject", "hours_per_week", "is_own"]


class CurriculumHours(serializers.Serializer):
    subject = Id()
    hours = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0, max_value=40)


class CurriculumSetInput(serializers.Serializer):
    school = Id(required=False, allow_null=True, default=None)
    academic_year = Id()
    parallel = serializers.IntegerField(min_value=1, max_value=11)
    hours = CurriculumHours(many=True, max_length=60)  # type: ignore[call-arg]  # DRF passes it to ListSerializer


class CurriculumFillInput(serializers.Serializer):
    school = Id(required=False, allow_null=True, default=None)
    academic_year = Id()


CURRICULUM_PARAMS = [
    OpenApiParameter("academic_year", int, required=True),
    OpenApiParameter("school", int, description="учебный план, действующий в школе; без параметра — региона"),
]


class CurriculumApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="curriculum_list",
        parameters=CURRICULUM_PARAMS,
        responses=CurriculumLineOutput(many=True),
    )
    def get(self, request):
        year = _year(request, request.query_params.get("academic_year"))
        if year is None:
            raise ValidationError({"academic_year": [_("Укажите учебный год")]})
        raw = request.query_params.get("school")
        school = admin_school(request, raw) if raw not in (None, "") else None
        return Response(
            CurriculumLineOutput(
                curriculum_lines(school_id=school.pk if school else None, year=year), many=True
            ).data
        )

    @extend_schema(
        operation_id="curriculum_set",
        request=CurriculumSetInput,
        responses=CurriculumLineOutput(many=True),
        summary="Часы в неделю по предметам одной параллели (регион или школа)",
    )
    def put(self, request):
        data = _valid(CurriculumSetInput, request.data)
        school = admin_school(request, data["school"]) if data["school"] else None
        if school is None:
            check_level(request, None, write=True)
        year = _year(request, data["academic_year"])
        lines = services.curriculum_set(
            school=school,
            academic_year=year,  # type: ignore[arg-type]
            parallel=data["parallel"],
            hours={h["subject"]: h["hours"] for h in data["hours"]},
            actor=request.user,
        )
        for line in lines:
            line.is_own = True
        return Response(CurriculumLineOutput(lines, many=True).data)


class CurriculumFillApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="curriculum_fill_from_model",
        request=CurriculumFillInput,
        responses=inline_serializer("CurriculumFilled", {"parallels_filled": serializers.IntegerField()}),
        summary="Заполнить пустые параллели федеральным примерным учебным планом",
    )
    def post(self, request):
        data = _valid(CurriculumFillInput, request.data)
        school = admin_school(request, data["school"]) if data["school"] else None
        if school is None:
            check_level(request, None, write=True)
        year = _year(request, data["academic_year"])
        filled = services.curriculum_fill_from_model(school=school, academic_year=year, actor=request.user)  # type: ignore[arg-type]
        return Response({"parallels_filled": filled})


# --- teacher load --------------------------------------------------------------------------------------------------


class AssignmentOutput(serializers.ModelSerializer):
    class Meta:
        model = TeachingAssignment
        fields = [
            "id",
            "school",
            "teacher",
            "subject",
            "school_class",
            "group",
            "hours_per_week",
            "room",
            "is_active",
        ]


class AssignmentCreateInput(serializers.Serializer):
    teacher = Id()
    subject = Id()
    school_class = Id(required=False, allow_null=True, default=None)
    group = Id(required=False, allow_null=True, default=None)
    hours_per_week = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=0,
        max_value=40,
        required=False,
        allow_null=True,
        default=None,
        help_text="без значения — сколько оставляет учебный план",
    )
    room = Id(required=False, allow_null=True, default=None)
    academic_year = Id(required=False, allow_null=True, default=None)


class AssignmentUpdateInput(serializers.Serializer):
    teacher = Id(required=False)
    hours_per_week = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=40, required=False
    )
    room = Id(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    academic_year = Id(required=False, allow_null=True, default=None)


class LoadRowOutput(serializers.Serializer):
    school_class = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    curriculum = serializers.DecimalField(max_digits=4, decimal_places=1)
    assigned = serializers.DecimalField(max_digits=4, decimal_places=1)
    missing = serializers.DecimalField(max_digits=4, decimal_places=1)


class AssignmentListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="teaching_list", responses=AssignmentOutput(many=True), summary="Нагрузка учителей школы"
    )
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        return Response(
            AssignmentOutput(assignment_list(school_id=school.pk, active_only=False), many=True).data
        )

    @extend_schema(
        operation_id="teaching_create", request=AssignmentCreateInput, responses={201: AssignmentOutput}
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(AssignmentCreateInput, request.data)
        teacher = _person(data["teacher"])
        assignment = services.teaching_assignment_create(
            school=school,
            teacher=teacher,  # type: ignore[arg-type]
            subject=_subject(data["subject"]),  # type: ignore[arg-type]
            school_class=_in_school(SchoolClass, data["school_class"], school.pk, "school_class"),
            group=_in_school(StudyGroup, data["group"], school.pk, "group"),
            hours_per_week=data["hours_per_week"],
            room=_in_school(Room, data["room"], school.pk, "room"),
            academic_year=_year(request, data["academic_year"]),
            actor=request.user,
        )
        return Response(AssignmentOutput(assignment).data, status=status.HTTP_201_CREATED)


class AssignmentDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="teaching_update", request=AssignmentUpdateInput, responses=AssignmentOutput)
    def patch(self, request, assignment_id: int):
        assignment = get_or_404(TeachingAssignment, assignment_id)
        admin_school(request, assignment.school_id)
        data = _valid(AssignmentUpdateInput, request.data)
        kwargs: dict[str, Any] = {}
        if "room" in data:
            kwargs["room"] = _in_school(Room, data["room"], assignment.school_id, "room")
        services.teaching_assignment_update(
            assignment=assignment,
            teacher=_person(data.get("teacher")),
            hours_per_week=data.get("hours_per_week"),
            is_active=data.get("is_active"),
            academic_year=_year(request, data.get("academic_year")),
            actor=request.user,
            **kwargs,
        )
        return Response(AssignmentOutput(assignment).data)

    @extend_schema(operation_id="teaching_delete", responses={204: None})
    def delete(self, request, assignment_id: int):
        assignment = get_or_404(TeachingAssignment, assignment_id)
        admin_school(request, assignment.school_id)
        services.teaching_assignment_delete(assignment=assignment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoadSummaryApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="teaching_load_summary",
        parameters=[OpenApiParameter("academic_year", int, required=True)],
        responses=LoadRowOutput(many=True),
        summary="Учебный план против нагрузки: сколько часов каждого предмета каждого класса ещё без учителя",
    )
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        year = _year(request, request.query_params.get("academic_year"))
        if year is None:
            raise ValidationError({"academic_year": [_("Укажите учебный год")]})
        return Response(LoadRowOutput(load_summary(school_id=school.pk, year=year), many=True).data)
