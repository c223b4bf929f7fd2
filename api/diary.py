"""Region API of the diary (students and parents) and of notifications (everybody)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from api.journal import ERRORS, FinalOutput, JournalApiView, _id
from regions.access import viewer_for
from regions.journal import diary, selectors, services
from regions.journal.diary import Child, DiaryHomework, DiaryLesson
from regions.journal.models import Notification, NotificationPreference


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    return int(raw) if raw and raw.isdigit() and len(raw) < 19 else None


def _query_date(request: Request, name: str) -> datetime.date:
    raw = request.query_params.get(name)
    try:
        return datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


class ChildOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    classes = serializers.ListField(child=serializers.CharField())
    schools = serializers.ListField(child=serializers.CharField())


def _child(child: Child) -> dict[str, Any]:
    return {
        "id": child.id,
        "name": child.full_name,
        "classes": [p.class_name for p in child.places if p.class_id is not None],
        "schools": [p.school_name for p in child.places],
    }


class DiaryChildrenApi(JournalApiView):
    @extend_schema(
        summary="Чьи дневники доступны: свой (ученик) и детей (родитель)",
        responses={200: ChildOutput(many=True)},
        tags=["diary"],
    )
    def get(self, request: Request) -> Response:
        children = diary.diary_children(viewer=viewer_for(request.user))
        return Response(ChildOutput([_child(c) for c in children], many=True).data)


class DiaryMarkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    value = serializers.CharField()
    weight = serializers.IntegerField()
    control_form = serializers.CharField()
    comment = serializers.CharField()


class DiaryFileOutput(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()


class DiaryHomeworkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    text = serializers.CharField()
    is_variant = serializers.BooleanField()
    done = serializers.BooleanField()
    files = DiaryFileOutput(many=True)


class DiaryLessonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    lesson_number = serializers.IntegerField()
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()
    subject = serializers.CharField()
    teacher = serializers.CharField()
    is_substitution = serializers.BooleanField()
    room = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    is_remote = serializers.BooleanField()
    video_url = serializers.CharField()
    moved_from_date = serializers.DateField(allow_null=True)
    moved_from_number = serializers.IntegerField(allow_null=True)
    change_note = serializers.CharField()
    topic = serializers.CharField()
    attendance = serializers.CharField(allow_null=True)
    attendance_reason = serializers.CharField()
    marks = DiaryMarkOutput(many=True)
    homework = DiaryHomeworkOutput(many=True)


class DiaryDayOutput(serializers.Serializer):
    date = serializers.DateField()
    lessons = DiaryLessonOutput(many=True)
    homework = DiaryHomeworkOutput(many=True)


class DiaryWeekOutput(serializers.Serializer):
    student = ChildOutput()
    monday = serializers.DateField()
    days = DiaryDayOutput(many=True)


def _homework(item: DiaryHomework) -> dict[str, Any]:
    return {
        "id": item.id,
        "subject": item.subject,
        "text": item.text,
        "is_variant": item.is_variant,
        "done": item.done,
        "files": [{"name": f.name, "url": f"/journal/files/{f.id}/"} for f in item.files],
    }


def _lesson(item: DiaryLesson) -> dict[str, Any]:
    return {
        "id": item.id,
        "lesson_number": item.lesson_number,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "subject": item.subject,
        "teacher": item.teacher,
        "is_substitution": item.is_substitution,
        "room": item.room or None,
        "status": item.status,
        "is_remote": item.is_remote,
        "video_url": item.video_url,
        "moved_from_date": item.moved_from_date,
        "moved_from_number": item.moved_from_number,
        "change_note": item.change_note,
        "topic": item.topic,
        "attendance": item.attendance.kind if item.attendance else None,
        "attendance_reason": item.attendance.reason if item.attendance else "",
        "marks": [
            {
                "id": m.id,
                "value": m.value,
                "weight": m.weight,
                "control_form": m.control_form,
                "comment": m.comment,
            }
            for m in item.marks
        ],
        "homework": [_homework(h) for h in item.homework],
    }


class DiaryWeekApi(JournalApiView):
    @extend_schema(
        summary="Неделя дневника (пн–сб): расписание с заменами и отменами, темы, задания, оценки",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="любой день недели; по умолчанию сегодня")
        ],
        responses={200: DiaryWeekOutput, **ERRORS},
        tags=["diary"],
    )
    def get(self, request: Request, student_id: int) -> Response:
        week = diary.diary_week(
            viewer=viewer_for(request.user), student_id=student_id, day=_query_date(request, "date")
        )
        body = {
            "student": _child(week.child),
            "monday": week.monday,
            "days": [
                {
                    "date": day.date,
                    "lessons": [_lesson(item) for item in day.lessons],
                    "homework": [_homework(h) for h in day.homework_by_date],
                }
                for day in week.days
            ],
        }
        return Response(body)  # built to DiaryWeekOutput's shape


class HintOutput(serializers.Serializer):
    target = serializers.IntegerField()
    weight = serializers.IntegerField()
    count = serializers.IntegerField()


class SubjectMarksOutput(serializers.Serializer):
    subject = serializers.CharField()
    marks = DiaryMarkOutput(many=True)
    average = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    proposed = serializers.CharField()
    hints = HintOutput(many=True)
    finals = FinalOutput(many=True, allow_null=True)
    year_final = FinalOutput(allow_null=True)


class DiaryMarksOutput(serializers.Serializer):
    student = ChildOutput()
    period = serializers.IntegerField(allow_null=True)
    periods = serializers.ListField(child=serializers.DictField())
    weights = serializers.ListField(child=serializers.IntegerField())
    subjects = SubjectMarksOutput(many=True)


class DiaryMarksApi(JournalApiView):
    @extend_schema(
        summary="Оценки по предметам за период: средний взвешенный балл, сколько оценок нужно до 4 и 5, итоговые",
        parameters=[OpenApiParameter("period", OpenApiTypes.INT, description="период; по умолчанию текущий")],
        responses={200: DiaryMarksOutput, **ERRORS},
        tags=["diary"],
    )
    def get(self, request: Request, student_id: int) -> Response:
        data = diary.diary_marks(
            viewer=viewer_for(request.user),
            student_id=student_id,
            period_id=_query_int(request, "period"),
            today=timezone.localdate(),
        )
        body = {
            "student": _child(data.child),
            "period": data.period.pk if data.period else None,
            "periods": [{"id": p.pk, "name": p.name} for p in data.periods],
            "weights": data.weights,
            "subjects": [
                {
                    "subject": row.subject.name,
                    "marks": [
                        {
                            "id": m.pk,
                            "value": m.value,
                            "weight": m.weight,
                            "control_form": m.control_form.name,
                            "comment": m.comment,
                        }
                        for m in row.marks
                    ],
                    "average": str(row.average) if row.average is not None else None,
                    "proposed": row.proposed,
                    "hints": [{"target": h.target, "weight": h.weight, "count": h.count} for h in row.hints],
                    "finals": [FinalOutput(f).data if f else None for f in row.finals],
                    "year_final": FinalOutput(row.year_final).data if row.year_final else None,
                }
                for row in data.subjects
            ],
        }
        return Response(body)  # built to DiaryMarksOutput's shape


class DoneInput(serializers.Serializer):
    done = serializers.BooleanField()


class DoneOutput(serializers.Serializer):
    homework = serializers.IntegerField(source="homework_id")
    done = serializers.BooleanField()


class HomeworkDoneApi(JournalApiView):
    @extend_schema(
        summary="Отметка ученика «сделано» на домашнем задании",
        request=DoneInput,
        responses={200: DoneOutput, **ERRORS},
        tags=["diary"],
    )
    def put(self, request: Request, homework_id: int) -> Response:
        data = DoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.homework_done_set(
            actor=request.user,  # type: ignore[arg-type]
            homework_id=homework_id,
            done=data.validated_data["done"],
        )
        return Response(DoneOutput(flag).data)


# --- notifications ------------------------------------------------------------------------------------


class NotificationOutput(serializers.ModelSerializer):
    student = serializers.IntegerField(source="student_id", allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "student", "text", "link", "is_read", "created_at"]


class NotificationListApi(JournalApiView, ListAPIView):
    serializer_class = NotificationOutput

    @extend_schema(summary="Уведомления пользователя, новые сначала", tags=["notifications"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.notifications_for(self.request.user)


class ReadInput(serializers.Serializer):
    ids = serializers.ListField(child=_id(), required=False, allow_null=True, max_length=1000)


class ReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class NotificationReadApi(JournalApiView):
    @extend_schema(
        summary="Отметить уведомления прочитанными (перечисленные или все)",
        request=ReadInput,
        responses={200: ReadOutput, 400: ERRORS[400]},
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        data = ReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            actor=request.user,  # type: ignore[arg-type]
            notification_ids=data.validated_data.get("ids"),
        )
        return Response({"marked": marked, "unread": selectors.unread_count(request.user)})


class PreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = NotificationPreference
        fields = ["marks_in_app", "marks_email", "absences_in_app", "absences_email"]


class PreferenceInput(PreferenceSerializer):
    class Meta(PreferenceSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in PreferenceSerializer.Meta.fields}


class NotificationPreferenceApi(JournalApiView):
    @extend_schema(
        summary="Настройки уведомлений", responses={200: PreferenceSerializer}, tags=["notifications"]
    )
    def get(self, request: Request) -> Response:
        pref = (
            NotificationPreference.objects.filter(user_id=request.user.pk or 0).first()
            or NotificationPreference()
        )
        return Response(PreferenceSerializer(pref).data)

    @extend_schema(
        summary="Изменить настройки уведомлений",
        request=PreferenceInput,
        responses={200: PreferenceSerializer, 400: ERRORS[400]},
        tags=["notifications"],
    )
    def put(self, request: Request) -> Response:
        data = PreferenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        pref = services.notification_preference_update(actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(PreferenceSerializer(pref).data, status=status.HTTP_200_OK)
