"""The timetable: a weekly template per school, and the dated lessons generated from it.

The template (``TimetableEntry``) says "on Mondays, lesson 2, 5А studies Mathematics with
this teacher in room 204". Generation turns it into ``Lesson`` rows for every school day of a
period (skipping holidays); changes on a date — a substitute teacher, a cancellation, a move,
a remote lesson — are made on the ``Lesson``. The journal and the diary read ``Lesson`` only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class WeekParity(models.TextChoices):
    EVERY = "every", gettext_lazy("каждую неделю")
    ODD = "odd", gettext_lazy("по нечётным неделям")
    EVEN = "even", gettext_lazy("по чётным неделям")


def _class_xor_group() -> models.Q:
    return models.Q(school_class__isnull=False, group__isnull=True) | models.Q(
        school_class__isnull=True, group__isnull=False
    )


class TimetableEntry(models.Model):
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="timetable")
    academic_year = models.ForeignKey(
        "academics.AcademicYear", on_delete=models.PROTECT, related_name="timetable"
    )
    weekday = models.PositiveSmallIntegerField(gettext_lazy("День недели"))  # ISO: 1 = Monday … 7 = Sunday
    lesson_number = models.PositiveSmallIntegerField(gettext_lazy("Урок"))
    bell_schedule = models.ForeignKey("academics.BellSchedule", on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="timetable"
    )
    group = models.ForeignKey(
        "teaching.StudyGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="timetable"
    )
    subject = models.ForeignKey("teaching.Subject", on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="timetable")
    room = models.ForeignKey(
        "teaching.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="timetable"
    )
    parity = models.CharField(max_length=8, choices=WeekParity.choices, default=WeekParity.EVERY)
    valid_from = models.DateField(gettext_lazy("Действует с"))
    valid_to = models.DateField(gettext_lazy("Действует по"), null=True, blank=True)

    class Meta:
        ordering = ["school_id", "weekday", "lesson_number"]
        constraints = [
            models.CheckConstraint(condition=_class_xor_group(), name="timetable_class_xor_group"),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=1, weekday__lte=7), name="timetable_weekday_range"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="timetable_valid_range",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "weekday", "lesson_number"]),
            models.Index(fields=["teacher", "weekday", "lesson_number"]),
            models.Index(fields=["room", "weekday"]),
            models.Index(fields=["school_class", "weekday"]),
            models.Index(fields=["group", "weekday"]),
        ]
        verbose_name = gettext_lazy("строка расписания")
        verbose_name_plural = gettext_lazy("шаблон расписания")

    def __str__(self) -> str:
        return f"{self.weekday}/{self.lesson_number}: {self.subject_id}"


class LessonStatus(models.TextChoices):
    SCHEDULED = "scheduled", gettext_lazy("по расписанию")
    CANCELLED = "cancelled", gettext_lazy("отменён")


class Lesson(models.Model):
    """One lesson on one date. ``teacher`` is who was planned; ``substitute`` is who actually
    teaches when a substitution is made — the journal belongs to the one who teaches."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="lessons")
    period = models.ForeignKey("academics.StudyPeriod", on_delete=models.PROTECT, related_name="lessons")
    date = models.DateField(gettext_lazy("Дата"))
    lesson_number = models.PositiveSmallIntegerField(gettext_lazy("Урок"))
    starts_at = models.TimeField(gettext_lazy("Начало"))
    ends_at = models.TimeField(gettext_lazy("Конец"))
    school_class = models.ForeignKey(
        "schools.SchoolClass", null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    group = models.ForeignKey(
        "teaching.StudyGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="lessons"
    )
    subject = models.ForeignKey("teaching.Subject", on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="lessons")
    substitute = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="substitutions"
    )
    room = models.ForeignKey(
        "teaching.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template_entry = models.ForeignKey(
        TimetableEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="lessons"
    )
    status = models.CharField(max_length=16, choices=LessonStatus.choices, default=LessonStatus.SCHEDULED)
    is_remote = models.BooleanField(gettext_lazy("Дистанционно"), default=False)
    video_url = models.URLField(gettext_lazy("Ссылка на видеоурок"), blank=True, max_length=500)
    # A moved lesson keeps where it was planned, so the diary can say «перенесён с 12.11, 3 урок».
    moved_from_date = models.DateField(null=True, blank=True)
    moved_from_number = models.PositiveSmallIntegerField(null=True, blank=True)
    change_note = models.CharField(gettext_lazy("Причина изменения"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "lesson_number", "id"]
        constraints = [
            models.CheckConstraint(condition=_class_xor_group(), name="lesson_class_xor_group"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="lesson_ends_after_start"
            ),
            # One lesson per template entry and planned date (a moved lesson keeps its planned
            # date in ``moved_from_date``): regeneration can never duplicate a lesson.
            models.UniqueConstraint(
                models.F("template_entry"),
                Coalesce("moved_from_date", "date"),
                condition=models.Q(template_entry__isnull=False),
                name="lesson_unique_planned",
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "date"]),
            models.Index(fields=["group", "date"]),
            models.Index(fields=["teacher", "date"]),
            models.Index(fields=["substitute", "date"]),
            models.Index(fields=["school", "date", "lesson_number"]),
            models.Index(fields=["period", "subject"]),
            models.Index(fields=["room", "date"]),
            # regeneration looks lessons up by school and planned date
            models.Index(F("school"), Coalesce("moved_from_date", "date"), name="lesson_school_planned_date"),
        ]
        verbose_name = gettext_lazy("урок")
        verbose_name_plural = gettext_lazy("уроки")

    def __str__(self) -> str:
        return _("%(date)s %(lesson_number)s урок") % {
            "date": format(self.date, "%d.%m.%Y"),
            "lesson_number": self.lesson_number,
        }

    @property
    def acting_teacher_id(self) -> int:
        return self.substitute_id or self.teacher_id
