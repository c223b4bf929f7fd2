"""The school year and how work is assessed: academic years with their periods and holidays,
grading scales, control forms with weights, bell schedules.

Every table here follows one rule of inheritance: a row with ``school = NULL`` is the region's
default (set by the regional centre of competence); a row with a school is that school's own
and overrides the default of the same kind. What a school actually uses is resolved by
``regions.academics.selectors`` — never by walking relations from templates.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    BigIntegerRangeField,
    DateRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.db import models
from django.db.models import Func
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class DateRange(Func):
    """``daterange(a, b, bounds)`` — for exclusion constraints over inclusive date columns."""

    function = "DATERANGE"
    output_field = DateRangeField()


class SingleIdRange(Func):
    """``int8range(id, id, '[]')`` — equality of a key expressed as overlap of one-point ranges.

    An exclusion constraint "same year AND overlapping dates" would need ``btree_gist`` for the
    plain ``=`` on an integer; ranges have GiST support built in, so this needs no extension
    (the embedded PostgreSQL of ``make run``/``make test`` ships none)."""

    function = "INT8RANGE"
    template = "%(function)s(%(expressions)s, %(expressions)s, '[]')"
    output_field = BigIntegerRangeField()


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", gettext_lazy("четверть")
    TRIMESTER = "trimester", gettext_lazy("триместр")
    SEMESTER = "semester", gettext_lazy("полугодие")


class AcademicYear(models.Model):
    """«2026/2027»: from 01.09 to the end of the year, split into periods of one kind."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="academic_years"
    )
    name = models.CharField(gettext_lazy("Учебный год"), max_length=20)
    starts_on = models.DateField(gettext_lazy("Начало"))
    ends_on = models.DateField(gettext_lazy("Окончание"))
    period_kind = models.CharField(
        gettext_lazy("Деление на периоды"), max_length=16, choices=PeriodKind.choices
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by the selectors that resolve region defaults against a school's own rows.
    is_own: bool = False

    class Meta:
        ordering = ["-starts_on", "school_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], nulls_distinct=False, name="academic_year_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="year_ends_after_start"
            ),
        ]
        verbose_name = gettext_lazy("учебный год")
        verbose_name_plural = gettext_lazy("учебные годы")

    def __str__(self) -> str:
        return self.name


class StudyPeriod(models.Model):
    """A quarter, trimester or semester. Final marks of a period can be changed by the teacher
    until ``closes_on`` (inclusive); after it only by the school admin."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField(gettext_lazy("Номер"))
    name = models.CharField(gettext_lazy("Название"), max_length=50)
    starts_on = models.DateField(gettext_lazy("Начало"))
    ends_on = models.DateField(gettext_lazy("Окончание"))
    closes_on = models.DateField(gettext_lazy("Закрытие периода"))

    class Meta:
        ordering = ["academic_year_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "number"], name="period_unique_number"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="period_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("ends_on")), name="period_closes_after_end"
            ),
            # The services say which periods overlap; this keeps concurrent writers honest too.
            ExclusionConstraint(
                name="period_no_overlap",
                expressions=[
                    (SingleIdRange("academic_year"), RangeOperators.OVERLAPS),
                    (
                        DateRange("starts_on", "ends_on", RangeBoundary(inclusive_upper=True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=gettext_lazy("Периоды учебного года пересекаются"),
                # periods are rewritten in place (shifted by a week…): checked at the end of
                # the service's transaction, not after each row
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]
        verbose_name = gettext_lazy("учебный период")
        verbose_name_plural = gettext_lazy("учебные периоды")

    def __str__(self) -> str:
        return self.name


class HolidayKind(models.TextChoices):
    VACATION = "vacation", gettext_lazy("каникулы")
    PUBLIC = "public", gettext_lazy("праздничный день")
    OTHER = "other", gettext_lazy("нерабочий день")


class Holiday(models.Model):
    """Days without lessons inside an academic year: vacations, public holidays."""

    academic_year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(gettext_lazy("Название"), max_length=100)
    kind = models.CharField(max_length=16, choices=HolidayKind.choices, default=HolidayKind.VACATION)
    starts_on = models.DateField(gettext_lazy("Начало"))
    ends_on = models.DateField(gettext_lazy("Окончание"))
    # Empty: every class rests. Otherwise only these parallels (the February week of 1st grade).
    parallels = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)

    class Meta:
        ordering = ["academic_year_id", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="holiday_ends_after_start"
            ),
        ]
        verbose_name = gettext_lazy("каникулы / праздник")
        verbose_name_plural = gettext_lazy("каникулы и праздники")

    def __str__(self) -> str:
        return self.name


class ScaleKind(models.TextChoices):
    FIVE_POINT = "five_point", gettext_lazy("пятибалльная")
    HUNDRED_POINT = "hundred_point", gettext_lazy("стобалльная")
    PASS_FAIL = "pass_fail", gettext_lazy("зачёт / незачёт")


class GradingScale(models.Model):
    """How marks are written and how they count towards the weighted average on the 5-point
    scale. ``conversion`` (100-point scales) lists ``[[threshold, five_point_value], …]`` from
    the highest threshold down, e.g. ``[[85, 5], [70, 4], [50, 3], [0, 2]]``. Pass/fail marks
    count in no average."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="grading_scales"
    )
    code = models.CharField(max_length=32)
    name = models.CharField(gettext_lazy("Название"), max_length=100)
    kind = models.CharField(max_length=16, choices=ScaleKind.choices)
    min_value = models.PositiveSmallIntegerField(default=1)
    max_value = models.PositiveSmallIntegerField(default=5)
    conversion = models.JSONField(default=list, blank=True)
    is_default = models.BooleanField(gettext_lazy("Шкала по умолчанию"), default=False)

    # Set by the selectors that resolve region defaults against a school's own rows.
    is_own: bool = False

    class Meta:
        ordering = ["school_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"], nulls_distinct=False, name="grading_scale_unique_code"
            ),
            models.CheckConstraint(
                condition=models.Q(max_value__gt=models.F("min_value")), name="grading_scale_range"
            ),
        ]
        verbose_name = gettext_lazy("шкала оценивания")
        verbose_name_plural = gettext_lazy("шкалы оценивания")

    def __str__(self) -> str:
        return self.name

    PASS, FAIL = "зч", "нз"

    @property
    def conversion_text(self) -> str:
        """«85:5, 70:4, 50:3, 0:2» — the conversion as an admin types it."""
        return ", ".join(f"{threshold}:{five}" for threshold, five in self.conversion)

    def valid_values(self) -> list[str]:
        if self.kind == ScaleKind.PASS_FAIL:
            return [self.PASS, self.FAIL]
        return [str(v) for v in range(self.min_value, self.max_value + 1)]

    def to_five(self, value: str) -> Decimal | None:
        """The value on the 5-point scale used by averages; ``None`` for marks that count in no
        average (pass/fail). Raises ``ValueError`` for a value outside the scale."""
        if value not in self.valid_values():
            raise ValueError(
                _("Оценка «%(value)s» не входит в шкалу «%(name)s» (%(valid_values)s…)")
                % {"value": value, "name": self.name, "valid_values": ", ".join(self.valid_values()[:12])}
                if len(self.valid_values()) > 12
                else _("Оценка «%(value)s» не входит в шкалу «%(name)s» (%(valid_values)s)")
                % {"value": value, "name": self.name, "valid_values": ", ".join(self.valid_values())}
            )
        if self.kind == ScaleKind.PASS_FAIL:
            return None
        number = int(value)
        if self.kind == ScaleKind.FIVE_POINT:
            return Decimal(number)
        for threshold, five in self.conversion:
            if number >= threshold:
                return Decimal(five)
        return Decimal(2)


class ControlForm(models.Model):
    """The kind of work a mark is for, with its weight in the weighted average:
    «Контрольная работа» — 3, «Ответ на уроке» — 1."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="control_forms"
    )
    code = models.CharField(max_length=32)
    name = models.CharField(gettext_lazy("Название"), max_length=100)
    short_name = models.CharField(gettext_lazy("Сокращение"), max_length=20, blank=True)
    weight = models.PositiveSmallIntegerField(gettext_lazy("Вес"), default=1)
    is_active = models.BooleanField(default=True)

    # Set by the selectors that resolve region defaults against a school's own rows.
    is_own: bool = False

    class Meta:
        ordering = ["school_id", "-weight", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "code"], nulls_distinct=False, name="control_form_unique_code"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=10), name="control_form_weight_range"
            ),
        ]
        verbose_name = gettext_lazy("форма контроля")
        verbose_name_plural = gettext_lazy("формы контроля")

    def __str__(self) -> str:
        return _("%(name)s (вес %(weight)s)") % {"name": self.name, "weight": self.weight}


class BellSchedule(models.Model):
    """Lesson times of one shift: «1 смена», «2 смена», «Сокращённые уроки»."""

    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="bell_schedules"
    )
    name = models.CharField(gettext_lazy("Название"), max_length=100)
    shift = models.PositiveSmallIntegerField(gettext_lazy("Смена"), default=1)

    # Set by the selectors that resolve region defaults against a school's own rows.
    is_own: bool = False

    class Meta:
        ordering = ["school_id", "shift", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"], nulls_distinct=False, name="bell_schedule_unique_name"
            ),
        ]
        verbose_name = gettext_lazy("расписание звонков")
        verbose_name_plural = gettext_lazy("расписания звонков")

    def __str__(self) -> str:
        return self.name


class Bell(models.Model):
    schedule = models.ForeignKey(BellSchedule, on_delete=models.CASCADE, related_name="bells")
    lesson_number = models.PositiveSmallIntegerField(gettext_lazy("Урок"))
    starts_at = models.TimeField(gettext_lazy("Начало"))
    ends_at = models.TimeField(gettext_lazy("Конец"))

    class Meta:
        ordering = ["schedule_id", "lesson_number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "lesson_number"], name="bell_unique_number"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="bell_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson_number}. {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"
