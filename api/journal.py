"""Region API of the class journal: the grid of a class (group) and subject for a period, and
the writes — marks, attendance, lesson topics, homework, final marks — one request each.
Thin endpoints: validate, call one service (``regions.journal.services``), serialize. Who may
do what is decided by the services and selectors over ``regions.access.viewer_for``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from regions.access import viewer_for
from regions.journal import selectors, services
from regions.journal.errors import JournalError
from regions.journal.models import (
    Attendance,
    AttendanceKind,
    FinalMark,
    Homework,
    HomeworkFile,
    HomeworkVariant,
    LessonContent,
    Mark,
)


class JournalApiView(APIView):
    """A service's ``JournalError`` becomes the API's error shape with its status (400, 403,
    404) and the field it concerns."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, JournalError):
            body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
            if exc.field:
                body["fields"] = {exc.field: [exc.message]}
            return Response(body, status=exc.status)
        return super().handle_exception(exc)


# The API's one error shape, as a raw schema: a serializer cannot have a field named "fields".
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "code"],
}
ERRORS: dict[int, Any] = {400: ERROR_SCHEMA, 403: ERROR_SCHEMA, 404: ERROR_SCHEMA}


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1, **kwargs)


# --- marks -------------------------------------------------------------------------------------------


class MarkOutput(serializers.ModelSerializer):
    lesson = serializers.IntegerField(source="lesson_id")
    student = serializers.IntegerField(source="student_id")
    control_form = serializers.IntegerField(source="control_form_id")
    control_form_name = serializers.CharField(source="control_form.name")

    class Meta:
        model = Mark
        fields = [
            "id",
            "lesson",
            "student",
            "value",
            "value_five",
            "weight",
            "control_form",
            "control_form_name",
            "comment",
            "created_at",
            "updated_at",
        ]


class MarkCreateInput(serializers.Serializer):
    lesson = _id()
    student = _id()
    value = serializers.CharField(max_length=8)
    control_form = _id(required=False, allow_null=True)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MarkUpdateInput(serializers.Serializer):
    value = serializers.CharField(max_length=8, required=False)
    control_form = _id(required=False)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class MarkCreateApi(JournalApiView):
    @extend_schema(
        summary="Поставить оценку",
        request=MarkCreateInput,
        responses={201: MarkOutput, **ERRORS},
        tags=["journal"],
    )
    def post(self, request: Request) -> Response:
        data = MarkCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        mark = services.mark_create(
            actor=request.user,  # type: ignore[arg-type]
            lesson_id=v["lesson"],
            student_id=v["student"],
            value=v["value"],
            control_form_id=v.get("control_form"),
            comment=v.get("comment", ""),
        )
        return Response(MarkOutput(mark).data, status=status.HTTP_201_CREATED)


class MarkDetailApi(JournalApiView):
    @extend_schema(
        summary="Изменить оценку",
        request=MarkUpdateInput,
        responses={200: MarkOutput, **ERRORS},
        tags=["journal"],
    )
    def patch(self, request: Request, mark_id: int) -> Response:
        data = MarkUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        mark = services.mark_update(
            actor=request.user,  # type: ignore[arg-type]
            mark_id=mark_id,
            value=v.get("value"),
            control_form_id=v.get("control_form"),
            comment=v.get("comment"),
        )
        return Response(MarkOutput(mark).data)

    @extend_schema(
        summary="Удалить оценку (остаётся в истории)", responses={204: None, **ERRORS}, tags=["journal"]
    )
    def delete(self, request: Request, mark_id: int) -> Response:
        services.mark_delete(actor=request.user, mark_id=mark_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- attendance -----------------------------------------------------------------------------------------


class AttendanceOutput(serializers.ModelSerializer):
    lesson = serializers.IntegerField(source="lesson_id")
    student = serializers.IntegerField(source="student_id")

    class Meta:
        model = Attendance
        fields = ["id", "lesson", "student", "kind", "reason", "updated_at"]


class AttendanceInput(serializers.Serializer):
    lesson = _id()
    student = _id()
    kind = serializers.ChoiceField(choices=AttendanceKind.choices)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AttendanceSetApi(JournalApiView):
    @extend_schema(
        summary="Отметить отсутствие, опоздание или болезнь",
        request=AttendanceInput,
        responses={200: AttendanceOutput, **ERRORS},
        tags=["journal"],
    )
    def post(self, request: Request) -> Response:
        data = AttendanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = services.attendance_set(
            actor=request.user,  # type: ignore[arg-type]
            lesson_id=v["lesson"],
            student_id=v["student"],
            kind=v["kind"],
            reason=v.get("reason", ""),
        )
        return Response(AttendanceOutput(entry).data)


class AttendanceDetailApi(JournalApiView):
    @extend_schema(summary="Снять отметку посещаемости", responses={204: None, **ERRORS}, tags=["journal"])
    def delete(self, request: Request, attendance_id: int) -> Response:
        services.attendance_delete(actor=request.user, attendance_id=attendance_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- topic and homework ----------------------------------------------------------------------------------


class TopicInput(serializers.Serializer):
    topic = serializers.CharField(max_length=500, allow_blank=True)


class TopicOutput(serializers.ModelSerializer):
    lesson = serializers.IntegerField(source="lesson_id")

    class Meta:
        model = LessonContent
        fields = ["lesson", "topic", "updated_at"]


class LessonTopicApi(JournalApiView):
    @extend_schema(
        summary="Тема урока", request=TopicInput, responses={200: TopicOutput, **ERRORS}, tags=["journal"]
    )
    def put(self, request: Request, lesson_id: int) -> Response:
        data = TopicInput(data=request.data)
        data.is_valid(raise_exception=True)
        content = services.lesson_topic_set(
            actor=request.user,  # type: ignore[arg-type]
            lesson_id=lesson_id,
            topic=data.validated_data["topic"],
        )
        return Response(TopicOutput(content).data)


class HomeworkFileOutput(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    student = serializers.SerializerMethodField()

    class Meta:
        model = HomeworkFile
        fields = ["id", "name", "size", "url", "student"]

    def get_url(self, obj: HomeworkFile) -> str:
        return f"/journal/files/{obj.pk}/"

    def get_student(self, obj: HomeworkFile) -> int | None:
        return obj.variant.student_id if obj.variant_id else None  # type: ignore[union-attr]


class HomeworkVariantOutput(serializers.ModelSerializer):
    student = serializers.IntegerField(source="student_id")

    class Meta:
        model = HomeworkVariant
        fields = ["student", "text"]


class HomeworkOutput(serializers.ModelSerializer):
    lesson = serializers.IntegerField(source="lesson_id")
    due_lesson = serializers.IntegerField(source="due_lesson_id", allow_null=True)
    variants = HomeworkVariantOutput(many=True, read_only=True)
    files = HomeworkFileOutput(many=True, read_only=True)

    class Meta:
        model = Homework
        fields = ["id", "lesson", "due_lesson", "due_date", "text", "variants", "files", "created_at"]


class HomeworkCreateInput(serializers.Serializer):
    lesson = _id()
    text = serializers.CharField(max_length=10000)
    due_lesson = _id(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class HomeworkUpdateInput(serializers.Serializer):
    text = serializers.CharField(max_length=10000, required=False)
    due_lesson = _id(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)


class HomeworkVariantInput(serializers.Serializer):
    text = serializers.CharField(max_length=10000, allow_blank=True)


class HomeworkFileInput(serializers.Serializer):
    file = serializers.FileField()
    student = _id(required=False, allow_null=True)


def _homework(pk: int) -> Homework:
    return Homework.objects.prefetch_related("variants", "files__variant").get(pk=pk)


class HomeworkCreateApi(JournalApiView):
    @extend_schema(
        summary="Задать домашнее задание (срок по умолчанию — следующий урок предмета)",
        request=HomeworkCreateInput,
        responses={201: HomeworkOutput, **ERRORS},
        tags=["journal"],
    )
    def post(self, request: Request) -> Response:
        data = HomeworkCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        homework = services.homework_create(
            actor=request.user,  # type: ignore[arg-type]
            lesson_id=v["lesson"],
            text=v["text"],
            due_lesson_id=v.get("due_lesson"),
            due_date=v.get("due_date"),
        )
        return Response(HomeworkOutput(_homework(homework.pk)).data, status=status.HTTP_201_CREATED)


class HomeworkDetailApi(JournalApiView):
    @extend_schema(
        summary="Изменить домашнее задание",
        request=HomeworkUpdateInput,
        responses={200: HomeworkOutput, **ERRORS},
        tags=["journal"],
    )
    def patch(self, request: Request, homework_id: int) -> Response:
        data = HomeworkUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.homework_update(
            actor=request.user,  # type: ignore[arg-type]
            homework_id=homework_id,
            text=v.get("text"),
            due_lesson_id=v.get("due_lesson"),
            due_date=v.get("due_date"),
        )
        return Response(HomeworkOutput(_homework(homework_id)).data)

    @extend_schema(summary="Удалить домашнее задание", responses={204: None, **ERRORS}, tags=["journal"])
    def delete(self, request: Request, homework_id: int) -> Response:
        services.homework_delete(actor=request.user, homework_id=homework_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class HomeworkVariantApi(JournalApiView):
    @extend_schema(
        summary="Вариант задания для ученика (пустой текст — убрать вариант)",
        request=HomeworkVariantInput,
        responses={200: HomeworkOutput, **ERRORS},
        tags=["journal"],
    )
    def put(self, request: Request, homework_id: int, student_id: int) -> Response:
        data = HomeworkVariantInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.homework_variant_set(
            actor=request.user,  # type: ignore[arg-type]
            homework_id=homework_id,
            student_id=student_id,
            text=data.validated_data["text"],
        )
        return Response(HomeworkOutput(_homework(homework_id)).data)


class HomeworkFileApi(JournalApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Приложить файл к заданию (или к варианту ученика)",
        request={"multipart/form-data": HomeworkFileInput},
        responses={201: HomeworkFileOutput, **ERRORS},
        tags=["journal"],
    )
    def post(self, request: Request, homework_id: int) -> Response:
        data = HomeworkFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.homework_file_add(
            actor=request.user,  # type: ignore[arg-type]
            homework_id=homework_id,
            upload=data.validated_data["file"],
            student_id=data.validated_data.get("student"),
        )
        return Response(HomeworkFileOutput(attachment).data, status=status.HTTP_201_CREATED)


# --- finals -----------------------------------------------------------------------------------------------


class FinalOutput(serializers.ModelSerializer):
    student = serializers.IntegerField(source="student_id")
    subject = serializers.IntegerField(source="subject_id")
    school_class = serializers.IntegerField(source="school_class_id", allow_null=True)
    group = serializers.IntegerField(source="group_id", allow_null=True)
    academic_year = serializers.IntegerField(source="academic_year_id")
    period = serializers.IntegerField(source="period_id", allow_null=True)

    class Meta:
        model = FinalMark
        fields = [
            "id",
            "student",
            "subject",
            "school_class",
            "group",
            "academic_year",
            "period",
            "proposed_average",
            "proposed_value",
            "value",
            "is_override",
            "confirmed_at",
        ]


class FinalInput(serializers.Serializer):
    student = _id()
    subject = _id()
    value = serializers.CharField(max_length=8)
    school_class = _id(required=False, allow_null=True)
    group = _id(required=False, allow_null=True)
    period = _id(required=False, allow_null=True, help_text="период; пусто — годовая оценка")
    academic_year = _id(required=False, allow_null=True, help_text="учебный год — для годовой оценки")


class FinalSetApi(JournalApiView):
    @extend_schema(
        summary="Итоговая оценка: подтвердить предложенную или поставить другую",
        request=FinalInput,
        responses={200: FinalOutput, **ERRORS},
        tags=["journal"],
    )
    def post(self, request: Request) -> Response:
        data = FinalInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        final = services.final_mark_set(
            actor=request.user,  # type: ignore[arg-type]
            student_id=v["student"],
            subject_id=v["subject"],
            value=v["value"],
            school_class_id=v.get("school_class"),
            group_id=v.get("group"),
            period_id=v.get("period"),
            academic_year_id=v.get("academic_year"),
        )
        return Response(FinalOutput(final).data)


class FinalDetailApi(JournalApiView):
    @extend_schema(summary="Снять итоговую оценку", responses={204: None, **ERRORS}, tags=["journal"])
    def delete(self, request: Request, final_id: int) -> Response:
        services.final_mark_delete(actor=request.user, final_mark_id=final_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- reads: the list of journals and the grid -----------------------------------------------------------


class JournalLinkOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="class или group")
    target_id = serializers.IntegerField()
    target_name = serializers.CharField()
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    school_name = serializers.CharField()
    teacher_name = serializers.CharField()
    note = serializers.CharField()


class JournalListApi(JournalApiView):
    @extend_schema(
        summary="Журналы, которые пользователь может открыть",
        parameters=[
            OpenApiParameter(
                "school", OpenApiTypes.INT, description="школа (для регионального администратора)"
            )
        ],
        responses={200: JournalLinkOutput(many=True)},
        tags=["journal"],
    )
    def get(self, request: Request) -> Response:
        school = request.query_params.get("school")
        school_id = int(school) if school and school.isdigit() and len(school) < 19 else None
        links = selectors.journal_links(viewer=viewer_for(request.user), school_id=school_id)
        return Response(JournalLinkOutput(links, many=True).data)


class GridMarkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    value = serializers.CharField()
    weight = serializers.IntegerField()
    control_form = serializers.CharField()
    comment = serializers.CharField()


class GridAttendanceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    reason = serializers.CharField()


class GridCellOutput(serializers.Serializer):
    lesson = serializers.IntegerField()
    marks = GridMarkOutput(many=True)
    attendance = GridAttendanceOutput(allow_null=True)
    writable = serializers.BooleanField()


class GridRowOutput(serializers.Serializer):
    student = serializers.IntegerField()
    name = serializers.CharField()
    cells = GridCellOutput(many=True)
    average = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    proposed = serializers.CharField()
    final = FinalOutput(allow_null=True)


class GridLessonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    lesson_number = serializers.IntegerField()
    status = serializers.CharField()
    topic = serializers.CharField()
    has_homework = serializers.BooleanField()
    writable = serializers.BooleanField()


class GridPeriodOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    closes_on = serializers.DateField()


class GridControlFormOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()


class GridOutput(serializers.Serializer):
    kind = serializers.CharField()
    target_id = serializers.IntegerField()
    target_name = serializers.CharField()
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    period = GridPeriodOutput()
    periods = GridPeriodOutput(many=True)
    scale = serializers.ListField(child=serializers.CharField())
    control_forms = GridControlFormOutput(many=True)
    lessons = GridLessonOutput(many=True)
    rows = GridRowOutput(many=True)
    finals_writable = serializers.BooleanField()


def _period(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "closes_on": p.closes_on,
    }


class JournalGridApi(JournalApiView):
    @extend_schema(
        summary="Журнал класса (группы) по предмету за период: уроки, ученики, оценки, посещаемость, итоги",
        parameters=[OpenApiParameter("period", OpenApiTypes.INT, description="период; по умолчанию текущий")],
        responses={200: GridOutput, **ERRORS},
        tags=["journal"],
    )
    def get(self, request: Request, kind: str, target_id: int, subject_id: int) -> Response:
        period = request.query_params.get("period")
        page = selectors.journal_page(
            viewer=viewer_for(request.user),
            kind=kind,
            target_id=target_id,
            subject_id=subject_id,
            period_id=int(period) if period and period.isdigit() and len(period) < 19 else None,
            today=timezone.localdate(),
        )
        lessons = [
            {
                "id": c.id,
                "date": c.date,
                "lesson_number": c.lesson_number,
                "status": c.status,
                "topic": c.topic,
                "has_homework": c.has_homework,
                "writable": c.writable,
            }
            for c in page.columns
        ]
        rows = [
            {
                "student": row.student.id,
                "name": f"{row.student.surname} {row.student.name}",
                "cells": [
                    {
                        "lesson": column.id,
                        "marks": [
                            {"id": m[0], "value": m[1], "weight": m[2], "control_form": m[3], "comment": m[4]}
                            for m in marks
                        ],
                        "attendance": {"id": att[0], "kind": att[1], "reason": att[3]} if att else None,
                        "writable": writable,
                    }
                    for column, (marks, att, writable) in zip(page.columns, row.cells, strict=True)
                ],
                "average": str(row.average) if row.average is not None else None,
                "proposed": row.proposed,
                "final": FinalOutput(row.final).data if row.final else None,
            }
            for row in page.rows
        ]
        body = {
            "kind": page.kind,
            "target_id": page.target.pk,
            "target_name": page.target.name,
            "subject_id": page.subject.pk,
            "subject_name": page.subject.name,
            "period": _period(page.period),
            "periods": [_period(p) for p in page.periods],
            "scale": page.scale.valid_values() if page.scale else [],
            "control_forms": [{"id": f.pk, "name": f.name, "weight": f.weight} for f in page.control_forms],
            "lessons": lessons,
            "rows": rows,
            "finals_writable": page.finals_writable,
        }
        # the body is built to GridOutput's shape; the serializer documents it
        return Response(body)


# --- audit ------------------------------------------------------------------------------------------------


class AuditOutput(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    entity = serializers.CharField()
    entity_id = serializers.CharField()
    changes = serializers.DictField()


class AuditPagination(CursorPagination):
    # a cursor, not a count: a region's audit trail is tens of millions of rows
    ordering = ("-at", "-id")
    page_size = 50


class JournalAuditApi(JournalApiView, ListAPIView):
    serializer_class = AuditOutput
    pagination_class = AuditPagination

    @extend_schema(
        summary="История изменений оценок, посещаемости и итоговых оценок школы (администратор школы)",
        parameters=[OpenApiParameter("school", OpenApiTypes.INT, description="школа")],
        tags=["journal"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        school = self.request.query_params.get("school")
        school_id = int(school) if school and school.isdigit() and len(school) < 19 else None
        return selectors.journal_audit(viewer=viewer_for(self.request.user), school_id=school_id)
