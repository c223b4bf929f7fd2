"""Region API: the weekly timetable of a school (entries, a class's week, conflicts, fill from
load, copy a week), generation of dated lessons and changes on a date."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.config_access import Id, IsConfigAdmin, admin_school, check_level, get_or_404
from regions.academics.models import AcademicYear, StudyPeriod
from regions.people.models import Person
from regions.schools.models import SchoolClass
from regions.teaching.models import Room
from regions.timetable import services
from regions.timetable.autofill import timetable_autofill
from regions.timetable.models import Lesson, TimetableEntry, WeekParity
from regions.timetable.selectors import lesson_list, timetable_entries


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def _year(request: Any, pk: Any) -> AcademicYear:
    if pk in (None, ""):
        raise ValidationError({"academic_year": [_("Укажите учебный год")]})
    year = get_or_404(AcademicYear, pk)
    if year.school_id is not None:
        check_level(request, year.school_id, write=False)
    return year


class EntryOutput(serializers.ModelSerializer):
    class Meta:
        model = TimetableEntry
        fields = [
            "id",
            "school",
            "academic_year",
            "weekday",
            "lesson_number",
            "bell_schedule",
            "school_class",
            "group",
            "subject",
            "teacher",
            "room",
            "parity",
            "valid_from",
            "valid_to",
        ]


class EntryFields(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=1, max_value=7)
    lesson_number = serializers.IntegerField(min_value=0, max_value=20)
    subject = Id()
    teacher = Id()
    school_class = Id(required=False, allow_null=True, default=None)
    group = Id(required=False, allow_null=True, default=None)
    room = Id(required=False, allow_null=True, default=None)
    parity = serializers.ChoiceField(choices=WeekParity.choices, default=WeekParity.EVERY)
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class EntryCreateInput(EntryFields):
    academic_year = Id()


class WeekInput(serializers.Serializer):
    academic_year = Id()
    entries = EntryFields(many=True, max_length=80)  # type: ignore[call-arg]  # DRF passes it to ListSerializer


def _draft(data: dict[str, Any], entry_id: int | None = None) -> services.EntryDraft:
    return services.EntryDraft(
        weekday=data["weekday"],
        lesson_number=data["lesson_number"],
        subject_id=data["subject"],
        teacher_id=data["teacher"],
        school_class_id=data["school_class"],
        group_id=data["group"],
        room_id=data["room"],
        parity=data["parity"],
        valid_from=data["valid_from"],
        valid_to=data["valid_to"],
        entry_id=entry_id,
    )


ENTRY_PARAMS = [
    OpenApiParameter("academic_year", int, required=True),
    OpenApiParameter("school_class", int, description="неделя класса (с его подгруппами)"),
    OpenApiParameter("teacher", int, description="неделя учителя"),
    OpenApiParameter("room", int, description="неделя кабинета"),
]


class TimetableEntryListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="timetable_list", parameters=ENTRY_PARAMS, responses=EntryOutput(many=True))
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        year = _year(request, request.query_params.get("academic_year"))
        filters: dict[str, int] = {}
        for name in ("school_class", "teacher", "room"):
            raw = request.query_params.get(name)
            if raw not in (None, ""):
                try:
                    filters[name] = int(raw)
                except ValueError as exc:
                    raise ValidationError({name: [_("«%(raw)s» — не число") % {"raw": raw[:20]}]}) from exc
        if (
            "teacher" in filters
            and not Person.objects.filter(pk=filters["teacher"], memberships__school=school).exists()
        ):
            # a teacher's week spans their schools; only a teacher of this school is shown here
            raise Http404(_("Учитель не работает в этой школе"))
        rows = timetable_entries(
            school_id=school.pk, year=services.effective_year_for(school, year), **filters
        )
        return Response(EntryOutput(rows, many=True).data)

    @extend_schema(
        operation_id="timetable_create",
        request=EntryCreateInput,
        responses={201: EntryOutput},
        summary="Поставить урок в шаблон расписания (с проверкой накладок)",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(EntryCreateInput, request.data)
        entry = services.timetable_entry_create(
            school=school,
            academic_year=_year(request, data["academic_year"]),
            draft=_draft(data),
            actor=request.user,
        )
        return Response(EntryOutput(entry).data, status=status.HTTP_201_CREATED)


class TimetableEntryDetailApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="timetable_update", request=EntryFields, responses=EntryOutput)
    def put(self, request, entry_id: int):
        entry = get_or_404(TimetableEntry, entry_id)
        school = admin_school(request, entry.school_id)
        data = _valid(EntryFields, request.data)
        (saved,) = services.timetable_entries_save(
            school=school,
            academic_year=entry.academic_year,
            drafts=[_draft(data, entry_id=entry.pk)],
            actor=request.user,
            action="timetable_entry_update",
        )
        return Response(EntryOutput(saved).data)

    @extend_schema(operation_id="timetable_delete", responses={204: None})
    def delete(self, request, entry_id: int):
        entry = get_or_404(TimetableEntry, entry_id)
        admin_school(request, entry.school_id)
        services.timetable_entry_delete(entry=entry, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClassWeekApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="timetable_class_week_save",
        request=WeekInput,
        responses=EntryOutput(many=True),
        summary="Заменить неделю класса целиком (как сетка редактора): всё или ничего",
    )
    def put(self, request, class_id: int):
        school_class = get_or_404(SchoolClass, class_id)
        admin_school(request, school_class.school_id)
        data = _valid(WeekInput, request.data)
        year = _year(request, data["academic_year"])
        services.timetable_class_week_save(
            school_class=school_class,
            academic_year=year,
            drafts=[_draft(e) for e in data["entries"]],
            actor=request.user,
        )
        rows = services.class_week_entries(
            school_class=school_class, year=services.effective_year_for(school_class.school, year)
        )
        return Response(EntryOutput(rows, many=True).data)


class CopyWeekInput(serializers.Serializer):
    academic_year = Id()
    source = Id()  # type: ignore[assignment]  # a request field, not Field.source
    target = Id()


class CopyWeekApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="timetable_copy_week",
        request=CopyWeekInput,
        responses=EntryOutput(many=True),
        summary="Скопировать неделю класса в другой класс школы (учителя — по нагрузке класса)",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(CopyWeekInput, request.data)
        source = get_or_404(SchoolClass, data["source"], school=school)
        target = get_or_404(SchoolClass, data["target"], school=school)
        entries = services.timetable_copy_week(
            source=source,
            target=target,
            academic_year=_year(request, data["academic_year"]),
            actor=request.user,
        )
        return Response(EntryOutput(entries, many=True).data)


class ClashOutput(serializers.Serializer):
    kind = serializers.CharField(
        help_text="teacher | room | class — накладка; teacher_left — учителя больше нет в школе по реестру; "
        "class_closed — класса больше нет в реестре"
    )
    entry = serializers.IntegerField(source="key")
    message = serializers.CharField()


class ConflictsApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="timetable_conflicts",
        parameters=[OpenApiParameter("academic_year", int, required=True)],
        responses=ClashOutput(many=True),
        summary="Все накладки в шаблоне школы (учитель, кабинет, класс)",
    )
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        year = _year(request, request.query_params.get("academic_year"))
        return Response(
            ClashOutput(services.school_timetable_check(school=school, academic_year=year), many=True).data
        )


class AutofillInput(serializers.Serializer):
    academic_year = Id()
    classes = serializers.ListField(child=Id(), required=False, allow_null=True, default=None, max_length=200)
    days = serializers.IntegerField(min_value=5, max_value=6, default=5)
    replace = serializers.BooleanField(default=False)


class AutofillOutput(serializers.Serializer):
    placed = serializers.IntegerField()
    without_room = serializers.IntegerField()
    unplaced = serializers.ListField(child=serializers.CharField())


class AutofillApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="timetable_autofill",
        request=AutofillInput,
        responses=AutofillOutput,
        summary="Заполнить сетку по нагрузке (без накладок; что не встало — списком)",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(AutofillInput, request.data)
        classes = None
        if data["classes"] is not None:
            classes = list(SchoolClass.objects.filter(school=school, pk__in=data["classes"]))
            if len(classes) != len(set(data["classes"])):
                raise ValidationError({"classes": [_("Некоторых классов нет в этой школе")]})
        result = timetable_autofill(
            school=school,
            academic_year=_year(request, data["academic_year"]),
            classes=classes,
            days=data["days"],
            replace=data["replace"],
            actor=request.user,
        )
        return Response(AutofillOutput(result).data)


# --- dated lessons -------------------------------------------------------------------------------------------


class LessonOutput(serializers.ModelSerializer):
    acting_teacher = serializers.IntegerField(source="acting_teacher_id", read_only=True)

    class Meta:
        model = Lesson
        fields = [
            "id",
            "school",
            "period",
            "date",
            "lesson_number",
            "starts_at",
            "ends_at",
            "school_class",
            "group",
            "subject",
            "teacher",
            "substitute",
            "acting_teacher",
            "room",
            "status",
            "is_remote",
            "video_url",
            "moved_from_date",
            "moved_from_number",
            "change_note",
        ]


class GenerateInput(serializers.Serializer):
    period = Id()


class GenerateOutput(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField()
    kept_with_content = serializers.IntegerField()


class GenerateApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_generate",
        request=GenerateInput,
        responses=GenerateOutput,
        summary="Создать уроки по датам на период из шаблона (повторный запуск ничего не дублирует)",
    )
    def post(self, request, school_id: int):
        school = admin_school(request, school_id)
        data = _valid(GenerateInput, request.data)
        period = get_or_404(StudyPeriod, data["period"])
        report = services.lessons_generate(school=school, period=period, actor=request.user)
        return Response(GenerateOutput(report).data)


class LessonQuery(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    school_class = Id(required=False)
    teacher = Id(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"] or attrs["date_to"] - attrs[
            "date_from"
        ] > datetime.timedelta(days=62):
            raise serializers.ValidationError(
                {"date_to": _("Период от 1 до 62 дней, date_to не раньше date_from")}
            )
        return attrs


class LessonListApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(operation_id="lessons_list", parameters=[LessonQuery], responses=LessonOutput(many=True))
    def get(self, request, school_id: int):
        school = admin_school(request, school_id)
        query = _valid(LessonQuery, request.query_params)
        rows = lesson_list(
            school_id=school.pk,
            date_from=query["date_from"],
            date_to=query["date_to"],
            school_class_id=query.get("school_class"),
            teacher_id=query.get("teacher"),
        )
        return Response(LessonOutput(rows, many=True).data)


def _lesson(request: Any, lesson_id: int) -> Lesson:
    lesson = get_or_404(Lesson, lesson_id)
    admin_school(request, lesson.school_id)
    return lesson


class SubstituteInput(serializers.Serializer):
    substitute = Id(allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MoveInput(serializers.Serializer):
    date = serializers.DateField()
    lesson_number = serializers.IntegerField(min_value=0, max_value=20)
    room = Id(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RemoteInput(serializers.Serializer):
    is_remote = serializers.BooleanField()
    video_url = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LessonSubstituteApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_substitute",
        request=SubstituteInput,
        responses=LessonOutput,
        summary="Замена учителя",
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson(request, lesson_id)
        data = _valid(SubstituteInput, request.data)
        substitute = None
        if data["substitute"] is not None:
            substitute = Person.objects.filter(pk=data["substitute"]).first()
            if substitute is None:
                raise ValidationError(
                    {
                        "substitute": [
                            _("Нет учителя с id %(substitute)s") % {"substitute": data["substitute"]}
                        ]
                    }
                )
        lesson = services.lesson_substitute(
            lesson=lesson, substitute=substitute, note=data["note"], actor=request.user
        )
        return Response(LessonOutput(lesson).data)


class LessonCancelApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_cancel", request=CancelInput, responses=LessonOutput, summary="Отменить урок"
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson(request, lesson_id)
        data = _valid(CancelInput, request.data)
        return Response(
            LessonOutput(
                services.lesson_cancel(lesson=lesson, reason=data["reason"], actor=request.user)
            ).data
        )


class LessonRestoreApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_restore",
        request=None,
        responses=LessonOutput,
        summary="Вернуть отменённый урок",
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson(request, lesson_id)
        return Response(LessonOutput(services.lesson_restore(lesson=lesson, actor=request.user)).data)


class LessonMoveApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_move", request=MoveInput, responses=LessonOutput, summary="Перенести урок"
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson(request, lesson_id)
        data = _valid(MoveInput, request.data)
        room: Any = "keep"
        if "room" in data:
            room = None
            if data["room"] is not None:
                room = Room.objects.filter(pk=data["room"], school_id=lesson.school_id).first()
                if room is None:
                    raise ValidationError({"room": [_("Нет такого кабинета в этой школе")]})
        moved = services.lesson_move(
            lesson=lesson,
            date=data["date"],
            lesson_number=data["lesson_number"],
            room=room,
            note=data["note"],
            actor=request.user,
        )
        return Response(LessonOutput(moved).data)


class LessonRemoteApi(APIView):
    permission_classes = [IsConfigAdmin]

    @extend_schema(
        operation_id="lessons_remote",
        request=RemoteInput,
        responses=LessonOutput,
        summary="Дистанционный урок (ссылка на видеоурок)",
    )
    def post(self, request, lesson_id: int):
        lesson = _lesson(request, lesson_id)
        data = _valid(RemoteInput, request.data)
        lesson = services.lesson_set_remote(
            lesson=lesson, is_remote=data["is_remote"], video_url=data["video_url"], actor=request.user
        )
        return Response(LessonOutput(lesson).data)
